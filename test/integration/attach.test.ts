import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createBroker } from '../../server/src/index.js';
import { closeWithTimeout } from '../helpers/broker.js';
import { uniqueName, WsStompClient } from '../helpers/raw-client.js';
import { startStompJs } from '../helpers/stompjs.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

async function startAttached() {
  const server = http.createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    res.writeHead(404);
    res.end('not found');
  });
  const broker = createBroker({
    host: '127.0.0.1',
    tcpPort: 0,
    wsPort: 0,
    wsTransport: 'ws',
    store: 'memory',
    logLevel: 'silent',
  } as Parameters<typeof createBroker>[0]);
  const cleanups: Array<() => unknown> = [];
  let brokerClosed = false;
  const closeBroker = async () => {
    if (brokerClosed) return;
    brokerClosed = true;
    await closeWithTimeout(broker);
  };
  onTestFinished(async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch {
        // best effort
      }
    }
    await closeBroker();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  await broker.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { server, broker, port, cleanups, closeBroker };
}

describe('broker.attach(httpServer)', () => {
  it('serves STOMP over WebSocket at /stomp for @stomp/stompjs and leaves the server’s own routes working', async () => {
    const { port, cleanups } = await startAttached();
    const js = await startStompJs(`ws://127.0.0.1:${port}/stomp`);
    cleanups.push(() => js.deactivate());
    expect(js.connectedFrame.headers.version).toBe('1.2');
    const dest = `/topic/${uniqueName('attached')}`;
    const sub = await js.subscribeConfirmed(dest);
    await js.publishConfirmed(dest, 'through-attach');
    expect((await sub.waitFor(1))[0]!.body).toBe('through-attach');

    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    const missing = await fetch(`http://127.0.0.1:${port}/nope`);
    expect(missing.status).toBe(404);
  });

  it('serves STOMP over WebSocket at /ws too, and routes between /ws and /stomp clients', async () => {
    const { port, cleanups } = await startAttached();
    const a = new WsStompClient(`ws://127.0.0.1:${port}/ws`, undefined, 'attached-ws');
    cleanups.push(() => a.destroy());
    await a.opened;
    await a.connect();
    const dest = `/queue/${uniqueName('attachedq')}`;
    await a.subscribe(dest, 'a');
    const c = new WsStompClient(`ws://127.0.0.1:${port}/stomp`, undefined, 'attached-stomp');
    cleanups.push(() => c.destroy());
    await c.opened;
    await c.connect();
    await c.publish(dest, 'cross-path');
    expect((await a.message()).bodyText).toBe('cross-path');
  });

  it('answers the server’s own route while STOMP clients are connected', async () => {
    const { port, cleanups } = await startAttached();
    const c = new WsStompClient(`ws://127.0.0.1:${port}/stomp`, undefined, 'attached');
    cleanups.push(() => c.destroy());
    await c.opened;
    await c.connect();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(`http://127.0.0.1:${port}/health`).then((r) => r.text()),
      ),
    );
    expect(responses).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    await c.sendWithReceipt('SUBSCRIBE', { destination: '/topic/still', id: 's' });
  });

  it('broker.close() closes attached STOMP clients but leaves the host server serving its own routes', async () => {
    const { port, closeBroker, cleanups } = await startAttached();
    const c = new WsStompClient(`ws://127.0.0.1:${port}/stomp`, undefined, 'attached');
    cleanups.push(() => c.destroy());
    await c.opened;
    await c.connect();
    await closeBroker();
    await c.expectClosed();
    for (const e of c.history.filter((f) => f.command === 'ERROR')) {
      expect(e.headers.message).toBe('server shutting down');
    }
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(await res.text()).toBe('ok');
  });
});
