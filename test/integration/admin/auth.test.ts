/**
 * Who may use the admin API: credentials from the users file (HTTP Basic)
 * or a JWT (Bearer); read-only views for the monitor group, actions for
 * admins; 401 and 403 as JSON naming what is missing. /metrics follows the
 * read-only rule.
 */
import { describe, expect, it } from 'vitest';
import { adminClient } from '../../helpers/admin-http.js';
import { startBroker } from '../../helpers/broker.js';
import { hsToken, SECRET, usersFile } from '../security/auth-support.js';

async function securedBroker() {
  const file = await usersFile({
    boss: ['boss-pw', ['ops']],
    watcher: ['watch-pw', ['monitor']],
    pleb: ['pleb-pw', ['users']],
  });
  return startBroker({
    auth: {
      usersFile: file,
      throttle: { baseMs: 0 },
      jwt: { secret: SECRET },
      rules: [
        { match: '>', admin: ['ops'] },
        { match: '/queue/>', read: ['*'], write: ['*'] },
      ],
    },
  });
}

describe('admin API: access', () => {
  it('asks for credentials (401 with a Basic challenge) when anonymous clients are not let in', async () => {
    const b = await securedBroker();
    const anonymous = await adminClient(b).get('/overview');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="stompede"');
    expect(anonymous.body.code).toBe('unauthorized');
    expect(anonymous.body.error).toContain('HTTP Basic');
    const wrong = await adminClient(b, 'boss:not-the-password').get('/overview');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toContain('not accepted');
    const badToken = await adminClient(b, { bearer: 'eyJhbGciOiJIUzI1NiJ9.e30.bad' }).get(
      '/queues',
    );
    expect(badToken.status).toBe(401);
    const metrics = await fetch(`http://127.0.0.1:${b.addr.ws.port}/metrics`);
    expect(metrics.status).toBe(401);
  });

  it('lets the monitor group read but not act (403), and admins do both', async () => {
    const b = await securedBroker();
    const producer = await b.connectTcp({ login: 'pleb', passcode: 'pleb-pw' });
    await producer.publish('/queue/jobs', 'j1');
    const watcher = adminClient(b, 'watcher:watch-pw');
    const listed = await watcher.get('/queues');
    expect(listed.status).toBe(200);
    expect(listed.body.map((q: { name: string }) => q.name)).toEqual(['jobs']);
    const metrics = await fetch(`http://127.0.0.1:${b.addr.ws.port}/metrics`, {
      headers: { authorization: `Basic ${Buffer.from('watcher:watch-pw').toString('base64')}` },
    });
    expect(metrics.status).toBe(200);
    const refused = await watcher.del('/queues/jobs/messages');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('forbidden');
    expect(refused.body.error).toContain(
      "user 'watcher' lacks the admin permission on /queue/jobs",
    );
    const pleb = adminClient(b, 'pleb:pleb-pw');
    const notMonitor = await pleb.get('/overview');
    expect(notMonitor.status).toBe(403);
    expect(notMonitor.body.error).toContain("group 'monitor'");
    const boss = adminClient(b, 'boss:boss-pw');
    const purged = await boss.del('/queues/jobs/messages');
    expect(purged.status).toBe(200);
    expect(purged.body).toEqual({ purged: 1 });
    expect((await watcher.get('/queues/jobs')).body.depth).toBe(0);
  });

  it('accepts a Bearer JWT, with the groups its claim names', async () => {
    const b = await securedBroker();
    const opsToken = await hsToken('robot', { groups: ['ops'] });
    const robot = adminClient(b, { bearer: opsToken });
    const sent = await robot.post('/send', { destination: '/queue/by-robot', body: 'hi' });
    expect(sent.status).toBe(200);
    const monitorToken = await hsToken('dashboard', { groups: ['monitor'] });
    const dashboard = adminClient(b, { bearer: monitorToken });
    const browse = await dashboard.get('/queues/by-robot/messages');
    expect(browse.body.map((m: { bodyPreview: string }) => m.bodyPreview)).toEqual(['hi']);
    const shutdown = await dashboard.post('/shutdown');
    expect(shutdown.status).toBe(403);
    expect(shutdown.body.error).toContain("user 'dashboard' lacks the admin permission");
  });
});
