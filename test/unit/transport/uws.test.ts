import { describe, expect, it } from 'vitest';
import { listenUws } from '../../../server/src/transport/uws.js';
import { loadUws, uwsLoadError } from '../../../server/src/transport/uws-loader.js';
import { Recorder } from './recorder.js';
import {
  connectClient,
  fillUntilFull,
  MAX_PAYLOAD,
  websocketTransportSuite,
} from './websocket-suite.js';

describe('loadUws', () => {
  it('loads the native binary on this machine', () => {
    const uws = loadUws();
    expect(uws, uwsLoadError()).not.toBeNull();
    expect(typeof uws!.App).toBe('function');
    expect(uwsLoadError()).toBeUndefined();
    expect(loadUws()).toBe(uws);
  });
});

websocketTransportSuite('uws', (options, acceptor, httpHandler) =>
  listenUws(
    { maxBackpressure: 256 * 1024 * 1024, ...options, idleTimeoutSeconds: 0 },
    acceptor,
    httpHandler,
  ),
);

describe('listenUws specifics', () => {
  const notFound = () => ({ status: 404, headers: {}, body: '' });

  it('rejects when the port is taken', async () => {
    const first = await listenUws(
      { host: '127.0.0.1', port: 0, maxPayload: 1024, maxBackpressure: 1 << 20 },
      new Recorder(),
      notFound,
    );
    await expect(
      listenUws(
        { host: '127.0.0.1', port: first.port, maxPayload: 1024, maxBackpressure: 1 << 20 },
        new Recorder(),
        notFound,
      ),
    ).rejects.toThrow(/could not listen/);
    await first.close();
  });

  it('destroys the connection instead of letting uWS drop a message', async () => {
    const errors: unknown[] = [];
    const recorder = new Recorder();
    // Misconfigured on purpose: uWS's cap (64 KiB) below our high-water mark.
    const listener = await listenUws(
      {
        host: '127.0.0.1',
        port: 0,
        maxPayload: MAX_PAYLOAD,
        maxBackpressure: 64 * 1024,
        highWaterMark: 64 * 1024 * 1024,
        onError: (e) => errors.push(e),
      },
      recorder,
      notFound,
    );
    const client = await connectClient(listener.port);
    client.ws.pause();
    const recorded = await recorder.next(0);
    fillUntilFull(recorded, Buffer.alloc(64 * 1024, 0x63));
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/dropped/);
    await recorded.waitClosed();
    expect(recorded.closes).toBe(1);
    client.ws.terminate();
    await listener.close();
  });
});
