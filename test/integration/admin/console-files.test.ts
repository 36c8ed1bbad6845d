/** The web console's files at /admin on the broker's HTTP port (both WebSocket engines). */
import { describe, expect, it } from 'vitest';
import { startBroker, WS_TRANSPORTS } from '../../helpers/broker.js';
import { usersFile } from '../security/auth-support.js';

describe.each(WS_TRANSPORTS)('web console files over %s', (wsTransport) => {
  it('redirects /admin to /admin/ and serves the page, its modules and styles', async () => {
    const ctx = await startBroker({ wsTransport });
    const origin = `http://127.0.0.1:${ctx.addr.ws.port}`;
    const bare = await fetch(`${origin}/admin`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/admin/');
    const page = await fetch(`${origin}/admin/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<script type="module" src="js/app.js"></script>');
    const app = await fetch(`${origin}/admin/js/app.js?v=1`);
    expect(app.headers.get('content-type')).toContain('text/javascript');
    expect(await app.text()).toContain("from './views/overview.js'");
    const css = await fetch(`${origin}/admin/console.css`);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect((await fetch(`${origin}/admin/js/nope.js`)).status).toBe(404);
    // An encoded .. must not climb out of the console's folder.
    expect((await fetch(`${origin}/admin/js/..%2f..%2fpackage.json`)).status).toBe(404);
  });

  it("answers the console's API calls 401 without a Basic challenge, so the page shows its own login", async () => {
    const file = await usersFile({ ops: ['pass', ['monitor']] });
    const ctx = await startBroker({ wsTransport, auth: { usersFile: file } });
    const url = `http://127.0.0.1:${ctx.addr.ws.port}/admin/api/overview`;
    const plain = await fetch(url);
    expect(plain.status).toBe(401);
    expect(plain.headers.get('www-authenticate')).toBe('Basic realm="stompede"');
    const fromConsole = await fetch(url, { headers: { 'x-requested-with': 'stompede-console' } });
    expect(fromConsole.status).toBe(401);
    expect(fromConsole.headers.get('www-authenticate')).toBeNull();
    expect(((await fromConsole.json()) as { code: string }).code).toBe('unauthorized');
  });
});
