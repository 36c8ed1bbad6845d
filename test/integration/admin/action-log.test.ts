/**
 * Every admin action leaves one `admin action` log line (event
 * admin.action) saying who did what to what, and whether it took effect.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { createBroker } from '../../../server/src/index.js';
import { createLogger } from '../../../server/src/logger.js';
import { adminClient } from '../../helpers/admin-http.js';
import { closeWithTimeout } from '../../helpers/broker.js';
import { TcpStompClient } from '../../helpers/raw-client.js';

type Line = Record<string, unknown>;

describe('admin action log lines', () => {
  it('logs each action once with user, target, counts, and failures with ok:false', async () => {
    const lines: Line[] = [];
    const logger = createLogger('info', {
      destination: { write: (chunk: string) => lines.push(JSON.parse(chunk) as Line) },
    });
    const broker = createBroker(
      { host: '127.0.0.1', tcpPort: 0, wsPort: 0, wsTransport: 'ws', store: 'memory' },
      logger,
    );
    const addresses = await broker.listen();
    const client = new TcpStompClient('127.0.0.1', addresses.tcp!.port);
    onTestFinished(async () => {
      client.destroy();
      await closeWithTimeout(broker);
    });
    await client.opened;
    await client.connect();
    for (let i = 0; i < 3; i++) await client.publish('/queue/logged', `m${i}`);
    const api = adminClient(`http://127.0.0.1:${addresses.ws!.port}`);
    expect((await api.del('/queues/logged/messages')).status).toBe(200);
    expect((await api.del('/queues/missing/messages')).status).toBe(404);
    expect((await api.get('/queues')).status).toBe(200);
    const actions = lines.filter((l) => l.event === 'admin.action');
    expect(actions).toEqual([
      expect.objectContaining({
        msg: 'admin action',
        action: 'purge',
        target: '/queue/logged',
        user: '',
        ok: true,
        purged: 3,
        remoteAddress: '127.0.0.1',
      }),
      expect.objectContaining({
        action: 'purge',
        target: '/queue/missing',
        ok: false,
        error: 'No queue /queue/missing on this broker.',
      }),
    ]);
  });
});
