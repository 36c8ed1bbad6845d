import net from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { startBroker, WS_TRANSPORTS } from '../helpers/broker.js';
import type { RawStompClient } from '../helpers/raw-client.js';
import { uniqueName } from '../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

function assertOnlyShutdownErrors(c: RawStompClient): void {
  for (const f of c.history.filter((x) => x.command === 'ERROR')) {
    expect(f.headers.message).toBe('server shutting down');
  }
  expect(c.parseError).toBeUndefined();
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe.each(WS_TRANSPORTS)('broker.close() (wsTransport=%s)', (wsTransport) => {
  it('closes connected TCP, WebSocket and stompjs clients (ERROR, if any, says "server shutting down")', async () => {
    const b = await startBroker({ wsTransport });
    const dest = `/queue/${uniqueName('bye')}`;
    const tcp = await b.connectTcp({}, 'tcp');
    await tcp.subscribe(dest, 't', { ack: 'client-individual' });
    const ws = await b.connectWs({}, 'ws');
    await ws.subscribe(`/topic/${uniqueName('bye')}`, 'w');
    const js = await b.stompjs();
    await js.subscribeConfirmed(dest);
    const preConnect = await b.tcp('not-yet-connected');
    await tcp.publish(dest, 'unacked-at-shutdown');

    await b.close();

    await Promise.all([tcp.expectClosed(), ws.expectClosed(), preConnect.expectClosed()]);
    await Promise.race([
      js.closed,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('stompjs client not closed')), 5000),
      ),
    ]);
    assertOnlyShutdownErrors(tcp);
    assertOnlyShutdownErrors(ws);
    for (const e of js.stompErrors) expect(e.headers.message).toBe('server shutting down');
  });

  it('stops accepting TCP and WebSocket connections once close() resolves', async () => {
    const b = await startBroker({ wsTransport });
    const { tcp, ws } = b.addr;
    expect(await canConnect(tcp.port)).toBe(true);
    expect(await canConnect(ws.port)).toBe(true);
    await b.close();
    expect(await canConnect(tcp.port)).toBe(false);
    expect(await canConnect(ws.port)).toBe(false);
  });
});

describe('broker.close() with no clients', () => {
  it('resolves promptly', async () => {
    const b = await startBroker();
    const start = Date.now();
    await b.close();
    expect(Date.now() - start).toBeLessThan(5000);
  });

  it('resolves even while a client is mid-frame', async () => {
    const b = await startBroker();
    const c = await b.connectTcp();
    c.sendRaw('SEND\ndestination:/queue/half\n\nunterminated body');
    await b.close();
    await c.expectClosed();
    assertOnlyShutdownErrors(c);
  });
});
