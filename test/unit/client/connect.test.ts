/**
 * stompede-client connecting: failures reject with the broker's words and end
 * in a `closed` state event (never an unhandled rejection), login and token
 * headers, timeouts, option validation, backoff.
 */

import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  backoffDelay,
  type ClientState,
  connect,
  DEFAULTS,
  type StateInfo,
  StompedeError,
  type WebSocketConstructor,
} from '../../../client/src/index.js';
import {
  fakeServer,
  openClient,
  sleep,
  TestBroker,
  unique,
  watchUnhandledRejections,
} from './support.js';

const WS = WebSocket as WebSocketConstructor;

/** connect() that must fail: returns its error and the state events it produced. */
async function failingConnect(
  options: Parameters<typeof connect>[0],
): Promise<{ error: Error; states: [ClientState, StateInfo][] }> {
  const states: [ClientState, StateInfo][] = [];
  const error = await connect({
    WebSocket: WS,
    ...options,
    onState: (state, info) => states.push([state, info]),
  }).then(
    (c) => {
      void c.close();
      throw new Error('connect() should have failed');
    },
    (e: unknown) => e as Error,
  );
  return { error, states };
}

describe('stompede-client connect', () => {
  it('rejects a wrong port with the socket error, ending in a closed state event', async () => {
    const unhandled = watchUnhandledRejections();
    const { error, states } = await failingConnect({ url: 'ws://127.0.0.1:1/stomp' });
    expect(error.message).toMatch(/cannot connect to ws:\/\/127\.0\.0\.1:1\/stomp: .*ECONNREFUSED/);
    expect(states).toEqual([
      ['connecting', {}],
      ['closed', { error: error.message }],
    ]);
    await sleep(50);
    expect(unhandled).toEqual([]);
  });

  it('rejects a wrong path on a real broker', async () => {
    const unhandled = watchUnhandledRejections();
    const broker = await TestBroker.start();
    const { error, states } = await failingConnect({ url: `ws://127.0.0.1:${broker.port}/nope` });
    expect(error.message).toMatch(/cannot connect to .*\/nope/);
    expect(states.at(-1)![0]).toBe('closed');
    await sleep(50);
    expect(unhandled).toEqual([]);
  });

  it('rejects a refused CONNECT with the broker ERROR text (client-id in use, bad header)', async () => {
    const unhandled = watchUnhandledRejections();
    const broker = await TestBroker.start();
    const clientId = unique('taken');
    await openClient({ url: broker.url, clientId });
    const errors: Error[] = [];
    const taken = await failingConnect({
      url: broker.url,
      clientId,
      onError: (e) => errors.push(e),
    });
    expect(taken.error).toBeInstanceOf(StompedeError);
    expect(taken.error.message).toBe(`client-id ${clientId} is already connected`);
    expect(taken.states.at(-1)).toEqual(['closed', { error: taken.error.message }]);
    expect(errors).toEqual([taken.error]);

    const bad = await failingConnect({
      url: broker.url,
      connectHeaders: { 'x-compat': 'nonsense' },
    });
    expect(bad.error.message).toMatch(/unknown x-compat mode: nonsense/);
    expect((bad.error as StompedeError).details).toMatch(/x-compat/);
    await sleep(50);
    expect(unhandled).toEqual([]);
  });

  it('sends a token as passcode with login jwt, and rejects a refused login', async () => {
    const unhandled = watchUnhandledRejections();
    const server = await fakeServer((frame, connection) => {
      if (frame.command !== 'CONNECT') return;
      if (frame.headers.passcode === 'good.jwt.token') {
        connection.send('CONNECTED', { version: '1.2', 'heart-beat': '0,0' });
      } else {
        connection.send('ERROR', { message: 'bad credentials' }, 'the token has expired');
      }
    });
    const ok = await connect({ url: server.url, WebSocket: WS, token: 'good.jwt.token' });
    const connectFrame = server.connections[0]!.frames[0]!;
    expect(connectFrame.headers).toMatchObject({ login: 'jwt', passcode: 'good.jwt.token' });
    expect(connectFrame.headers['accept-version']).toBe('1.2,1.1,1.0');
    await ok.close();

    const refused = await failingConnect({ url: server.url, token: 'old.jwt.token' });
    expect(refused.error.message).toBe('bad credentials');
    expect((refused.error as StompedeError).details).toBe('the token has expired');
    expect(refused.states).toEqual([
      ['connecting', {}],
      ['closed', { error: 'bad credentials' }],
    ]);

    await failingConnect({ url: server.url, login: 'alice', token: 'x' });
    expect(server.connections[2]!.frames[0]!.headers).toMatchObject({
      login: 'alice',
      passcode: 'x',
    });
    await sleep(50);
    expect(unhandled).toEqual([]);
  });

  it('gives up on a broker that never answers CONNECT after connectTimeoutMs', async () => {
    const unhandled = watchUnhandledRejections();
    const server = await fakeServer(() => {});
    const started = Date.now();
    const { error, states } = await failingConnect({ url: server.url, connectTimeoutMs: 150 });
    expect(error.message).toBe(`no CONNECTED from ${server.url} within 150 ms`);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(states.at(-1)).toEqual(['closed', { error: error.message }]);
    await sleep(50);
    expect(unhandled).toEqual([]);
  });

  it('rejects bad options before connecting', async () => {
    await expect(connect({ url: 'http://example.invalid' })).rejects.toThrow(/ws:\/\/ or wss:\/\//);
    await expect(connect({ url: 'ws://127.0.0.1:1', heartbeat: -1 })).rejects.toThrow(/heartbeat/);
    await expect(connect({ url: 'ws://127.0.0.1:1', reconnect: { factor: 0.5 } })).rejects.toThrow(
      /factor/,
    );
    await expect(
      connect({ url: 'ws://127.0.0.1:1', offline: { mode: 'drop' as 'queue' } }),
    ).rejects.toThrow(/offline.mode/);
    await expect(connect({ url: 'ws://127.0.0.1:1', connectTimeoutMs: 0 })).rejects.toThrow(
      /connectTimeoutMs/,
    );
  });

  it('times out a receipt the broker never sends', async () => {
    const server = await fakeServer((frame, connection) => {
      if (frame.command === 'CONNECT') connection.send('CONNECTED', { version: '1.2' });
    });
    const c = await openClient({ url: server.url });
    await expect(c.publish('/topic/x', 'x', { receipt: true, timeoutMs: 100 })).rejects.toThrow(
      /no RECEIPT .* within 100 ms/,
    );
    await expect(c.publish('/topic/x', 'x')).resolves.toBeUndefined();
  });

  it('drops duplicate message-ids as a safety net', async () => {
    const server = await fakeServer((frame, connection) => {
      if (frame.command === 'CONNECT') connection.send('CONNECTED', { version: '1.2' });
      if (frame.command === 'SUBSCRIBE') {
        for (const id of ['m1', 'm2', 'm1', 'm3', 'm2']) {
          connection.send(
            'MESSAGE',
            { subscription: frame.headers.id!, 'message-id': id, destination: '/topic/d' },
            id,
          );
        }
      }
    });
    const c = await openClient({ url: server.url });
    const got: string[] = [];
    c.subscribe('/topic/d', (m) => got.push(m.text));
    await sleep(100);
    expect(got).toEqual(['m1', 'm2', 'm3']);
  });

  it('computes exponential backoff with a cap and jitter', () => {
    const options = { ...DEFAULTS.reconnect };
    const at = (attempt: number, r: number) => backoffDelay(attempt, options, () => r);
    expect([1, 2, 3, 4].map((n) => at(n, 0.5))).toEqual([500, 1000, 2000, 4000]);
    expect(at(20, 0.5)).toBe(30_000);
    expect(at(1, 0)).toBe(350);
    expect(at(1, 1)).toBe(650);
    expect(backoffDelay(3, { ...options, jitter: 0 }, Math.random)).toBe(2000);
  });
});
