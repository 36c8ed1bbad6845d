/**
 * Behaviour shared by the two WebSocket transports (uWebSockets.js and ws),
 * run against real sockets on 127.0.0.1 with the `ws` client.
 */
import { request as httpRequest } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type {
  ConnectionAcceptor,
  HttpHandler,
  HttpRequestInfo,
  HttpResponseData,
  Listener,
} from '../../../server/src/transport/connection.js';
import { type RecordedConnection, Recorder, waitFor } from './recorder.js';

export interface SuiteListenOptions {
  host: string;
  port: number;
  paths?: readonly string[];
  maxPayload: number;
  highWaterMark?: number;
  maxBackpressure?: number;
  onError?: (error: unknown) => void;
}

export type SuiteListen = (
  options: SuiteListenOptions,
  acceptor: ConnectionAcceptor,
  httpHandler: HttpHandler,
) => Promise<Listener>;

export const MAX_PAYLOAD = 64 * 1024;
export const HIGH_WATER_MARK = 256 * 1024;

export interface ReceivedMessage {
  data: Buffer;
  isBinary: boolean;
}

export interface TestClient {
  ws: WebSocket;
  messages: ReceivedMessage[];
  closeCode: number | undefined;
  closed: Promise<number>;
  bytes(): number;
}

export function connectClient(
  port: number,
  path = '/stomp',
  protocols?: string[],
): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols);
    const client: TestClient = {
      ws,
      messages: [],
      closeCode: undefined,
      closed: new Promise((resolveClosed) => {
        ws.on('close', (code) => {
          client.closeCode = code;
          resolveClosed(code);
        });
      }),
      bytes: () => client.messages.reduce((n, m) => n + m.data.length, 0),
    };
    ws.on('message', (data, isBinary) => {
      client.messages.push({ data: Buffer.from(data as Buffer), isBinary });
    });
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`unexpected response ${res.statusCode}`));
      res.resume();
      ws.terminate();
    });
  });
}

export interface HttpResult {
  status: number;
  statusMessage: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function httpCall(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? '',
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Send `chunk` until send() returns false (or a safety cap), returning bytes sent. */
export function fillUntilFull(
  recorded: RecordedConnection,
  chunk: Uint8Array,
  cap = 256 << 20,
): number {
  let sent = 0;
  while (sent < cap) {
    const ok = recorded.connection.send(chunk);
    sent += chunk.length;
    if (!ok) return sent;
  }
  throw new Error('send() never returned false');
}

export function websocketTransportSuite(kind: 'uws' | 'ws', listen: SuiteListen): void {
  describe(`${kind} WebSocket transport`, () => {
    let recorder: Recorder;
    let listener: Listener;
    let errors: unknown[];
    let requests: HttpRequestInfo[];
    let clients: WebSocket[];

    const httpHandler: HttpHandler = (request): HttpResponseData => {
      requests.push(request);
      if (request.url.startsWith('/hello')) {
        return {
          status: 200,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'x-test': 'yes' },
          body: 'hello world',
        };
      }
      if (request.url === '/teapot') {
        return { status: 418, headers: {}, body: Buffer.from('short and stout') };
      }
      if (request.url === '/boom') throw new Error('http handler failed on purpose');
      return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
    };

    async function open(path = '/stomp', protocols?: string[]) {
      const index = recorder.connections.length;
      const client = await connectClient(listener.port, path, protocols);
      clients.push(client.ws);
      const recorded = await recorder.next(index);
      return { client, recorded };
    }

    async function restart(options: Partial<SuiteListenOptions>): Promise<void> {
      await listener.close();
      listener = await listen(
        {
          host: '127.0.0.1',
          port: 0,
          maxPayload: MAX_PAYLOAD,
          highWaterMark: HIGH_WATER_MARK,
          onError: (e) => errors.push(e),
          ...options,
        },
        recorder,
        httpHandler,
      );
    }

    beforeEach(async () => {
      recorder = new Recorder();
      errors = [];
      requests = [];
      clients = [];
      listener = await listen(
        {
          host: '127.0.0.1',
          port: 0,
          maxPayload: MAX_PAYLOAD,
          highWaterMark: HIGH_WATER_MARK,
          onError: (e) => errors.push(e),
        },
        recorder,
        httpHandler,
      );
    });

    afterEach(async () => {
      for (const ws of clients) ws.terminate();
      for (const recorded of recorder.connections) recorded.connection.destroy();
      await listener.close();
    });

    it('binds an ephemeral port', () => {
      expect(listener.port).toBeGreaterThan(0);
      expect(listener.host).toBe('127.0.0.1');
    });

    describe('subprotocol negotiation', () => {
      it('prefers v12.stomp whatever the client order', async () => {
        const { client, recorded } = await open('/stomp', ['v10.stomp', 'v11.stomp', 'v12.stomp']);
        expect(client.ws.protocol).toBe('v12.stomp');
        expect(recorded.connection.subprotocol).toBe('v12.stomp');
      });

      it('picks the only STOMP version offered', async () => {
        const { client, recorded } = await open('/stomp', ['v11.stomp']);
        expect(client.ws.protocol).toBe('v11.stomp');
        expect(recorded.connection.subprotocol).toBe('v11.stomp');
      });

      it('ignores unknown protocols next to ours', async () => {
        const { client } = await open('/stomp', ['mqtt', 'v10.stomp']);
        expect(client.ws.protocol).toBe('v10.stomp');
      });

      it('accepts a client that offers none, with no protocol', async () => {
        const { client, recorded } = await open('/stomp');
        expect(client.ws.protocol).toBe('');
        expect(recorded.connection.subprotocol).toBe('');
      });

      it('answers a non-STOMP offer without a protocol, so the client fails the handshake', async () => {
        await expect(connectClient(listener.port, '/stomp', ['mqtt'])).rejects.toThrow(
          /no subprotocol/i,
        );
      });
    });

    describe('routing', () => {
      it('upgrades on /stomp and /ws', async () => {
        await open('/stomp');
        await open('/ws');
        expect(recorder.connections).toHaveLength(2);
      });

      it('upgrades with a query string', async () => {
        await open('/stomp?token=abc');
        expect(recorder.connections).toHaveLength(1);
      });

      it('sends an upgrade on another path to the HTTP handler (404)', async () => {
        await expect(connectClient(listener.port, '/elsewhere')).rejects.toThrow(/404/);
        expect(recorder.connections).toHaveLength(0);
        expect(requests.map((r) => r.url)).toContain('/elsewhere');
      });

      it('honours custom paths', async () => {
        await restart({ paths: ['/custom'] });
        await open('/custom');
        await expect(connectClient(listener.port, '/stomp')).rejects.toThrow(/404/);
      });
    });

    describe('HTTP', () => {
      it('serves GET through the handler with status, headers and body', async () => {
        const res = await httpCall(listener.port, 'GET', '/hello?x=1', { 'X-Custom': 'abc' });
        expect(res.status).toBe(200);
        expect(res.statusMessage).toBe('OK');
        expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(res.headers['x-test']).toBe('yes');
        expect(res.headers['content-length']).toBe('11');
        expect(res.body).toBe('hello world');
        const seen = requests.at(-1)!;
        expect(seen.method).toBe('GET');
        expect(seen.url).toBe('/hello?x=1');
        expect(seen.headers['x-custom']).toBe('abc');
        expect(seen.headers.host).toBe(`127.0.0.1:${listener.port}`);
      });

      it('writes the status text for any status and Buffer bodies', async () => {
        const res = await httpCall(listener.port, 'GET', '/teapot');
        expect(res.status).toBe(418);
        expect(res.statusMessage).toBe("I'm a Teapot");
        expect(res.body).toBe('short and stout');
        const missing = await httpCall(listener.port, 'GET', '/nope');
        expect(missing.status).toBe(404);
        expect(missing.statusMessage).toBe('Not Found');
        expect(missing.body).toBe('not found');
      });

      it('serves a plain GET on a WebSocket path through the handler', async () => {
        const res = await httpCall(listener.port, 'GET', '/stomp');
        expect(res.status).toBe(404);
        expect(requests.at(-1)!.url).toBe('/stomp');
      });

      it('answers HEAD without a body', async () => {
        const res = await httpCall(listener.port, 'HEAD', '/hello');
        expect(res.status).toBe(200);
        expect(res.headers['content-length']).toBe('11');
        expect(res.body).toBe('');
        expect(requests.at(-1)!.method).toBe('HEAD');
      });

      it('passes other methods through', async () => {
        const res = await httpCall(listener.port, 'DELETE', '/hello');
        expect(res.status).toBe(200);
        expect(requests.at(-1)!.method).toBe('DELETE');
      });

      it('answers 500 and reports when the handler throws', async () => {
        const res = await httpCall(listener.port, 'GET', '/boom');
        expect(res.status).toBe(500);
        expect(errors).toHaveLength(1);
        expect((await httpCall(listener.port, 'GET', '/hello')).status).toBe(200);
      });
    });

    describe('connections', () => {
      it('reports the transport and the peer address', async () => {
        const { recorded } = await open();
        expect(recorded.connection.transport).toBe(kind);
        expect(recorded.connection.remoteAddress).toBe('127.0.0.1');
        expect(recorded.connection.bufferedAmount).toBe(0);
      });

      it('delivers text and binary messages as the same bytes', async () => {
        const { client, recorded } = await open();
        const text = 'SEND\ndestination:/queue/a\n\nhéllo ✓\0';
        client.ws.send(text); // text message
        await recorded.waitForBytes(Buffer.byteLength(text));
        client.ws.send(Buffer.from(text)); // binary message
        await recorded.waitForBytes(2 * Buffer.byteLength(text));
        expect(recorded.chunks).toHaveLength(2);
        expect(Buffer.from(recorded.chunks[0]!).toString()).toBe(text);
        expect(Buffer.from(recorded.chunks[1]!).toString()).toBe(text);
        const raw = Buffer.from([0, 1, 2, 0xff, 0xfe, 10]);
        client.ws.send(raw);
        await recorded.waitForBytes(2 * Buffer.byteLength(text) + raw.length);
        expect(Buffer.from(recorded.chunks[2]!)).toEqual(raw);
      });

      it('accepts a message of exactly maxPayload', async () => {
        const { client, recorded } = await open();
        client.ws.send(Buffer.alloc(MAX_PAYLOAD, 0x41));
        await recorded.waitForBytes(MAX_PAYLOAD);
        expect(recorded.closes).toBe(0);
      });

      it('closes the connection on a message bigger than maxPayload', async () => {
        const { client, recorded } = await open();
        client.ws.send(Buffer.alloc(MAX_PAYLOAD + 1, 0x41));
        await client.closed;
        await recorded.waitClosed();
        expect(recorded.received.length).toBe(0);
        expect(recorded.closes).toBe(1);
      });

      it('sends valid UTF-8 as text and anything else as binary, byte for byte', async () => {
        const { client, recorded } = await open();
        const utf8 = Buffer.from('MESSAGE\ndestination:/topic/x\n\nünïcødé\0');
        const binary = Buffer.from([0x43, 0x0a, 0x0a, 0xff, 0x00, 0xc3, 0x00]);
        expect(recorded.connection.send(utf8)).toBe(true);
        expect(recorded.connection.send(binary)).toBe(true);
        // A view with an offset: only the viewed bytes go out.
        const backing = Buffer.from('xxABCxx');
        expect(recorded.connection.send(backing.subarray(2, 5))).toBe(true);
        await waitFor(() => client.messages.length === 3, 'three messages');
        expect(client.messages[0]).toEqual({ data: utf8, isBinary: false });
        expect(client.messages[1]).toEqual({ data: binary, isBinary: true });
        expect(client.messages[2]!.data.toString()).toBe('ABC');
      });

      it('keeps many sends in one tick in order', async () => {
        const { client, recorded } = await open();
        for (let i = 0; i < 1000; i++) recorded.connection.send(Buffer.from(`m${i}`));
        await waitFor(() => client.messages.length === 1000, '1000 messages');
        expect(client.messages.map((m) => m.data.toString())).toEqual(
          Array.from({ length: 1000 }, (_, i) => `m${i}`),
        );
      });

      it('holds the frames of a turn (counted as buffered) and writes them when it ends', async () => {
        const { client, recorded } = await open();
        let bytes = 0;
        for (let i = 0; i < 50; i++) {
          const frame = Buffer.from(`MESSAGE\nn:${i}\n\n${'y'.repeat(100)}\0`);
          bytes += frame.length;
          expect(recorded.connection.send(frame, true)).toBe(true);
        }
        // Nothing written yet: one write per connection per turn, not one per frame.
        expect(recorded.connection.bufferedAmount).toBeGreaterThanOrEqual(bytes);
        await new Promise((r) => setImmediate(r));
        await waitFor(() => client.messages.length === 50, '50 messages');
        expect(client.messages.map((m) => m.data.toString().split('\n')[1])).toEqual(
          Array.from({ length: 50 }, (_, i) => `n:${i}`),
        );
        await waitFor(() => recorded.connection.bufferedAmount === 0, 'an empty buffer');
      });

      it('end() flushes queued data, then closes with 1000; onClose once', async () => {
        const { client, recorded } = await open();
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        const total = 8 * 1024 * 1024;
        for (let sent = 0; sent < total; sent += chunk.length) recorded.connection.send(chunk);
        recorded.call(() => recorded.connection.end());
        expect(await client.closed).toBe(1000);
        expect(client.bytes()).toBe(total);
        await recorded.waitClosed();
        expect(recorded.closedInsideCall).toBe(false);
        // After close everything is a no-op.
        expect(recorded.connection.send(chunk)).toBe(false);
        recorded.connection.end();
        recorded.connection.destroy();
        expect(recorded.connection.bufferedAmount).toBe(0);
        await new Promise((r) => setTimeout(r, 20));
        expect(recorded.closes).toBe(1);
      });

      it('destroy() closes at once; onClose once and not re-entrantly', async () => {
        const { client, recorded } = await open();
        recorded.call(() => recorded.connection.destroy());
        expect(recorded.closedInsideCall).toBe(false);
        expect(recorded.connection.send(Buffer.from('late'))).toBe(false);
        const code = await client.closed;
        expect(code).not.toBe(1000);
        await recorded.waitClosed();
        recorded.connection.destroy();
        recorded.connection.end();
        await new Promise((r) => setTimeout(r, 20));
        expect(recorded.closes).toBe(1);
      });

      it('reports onClose once when the client closes', async () => {
        const { client, recorded } = await open();
        client.ws.close(1000);
        await recorded.waitClosed();
        expect(recorded.connection.send(Buffer.from('x'))).toBe(false);
        await new Promise((r) => setTimeout(r, 20));
        expect(recorded.closes).toBe(1);
      });

      it('reports onClose once when the client vanishes', async () => {
        const { client, recorded } = await open();
        client.ws.terminate();
        await recorded.waitClosed();
        await new Promise((r) => setTimeout(r, 20));
        expect(recorded.closes).toBe(1);
      });

      it('returns false above the high-water mark and calls onDrain once drained', async () => {
        const { client, recorded } = await open();
        client.ws.pause(); // stop reading: the kernel buffers fill, then ours
        const chunk = Buffer.alloc(64 * 1024, 0x62);
        const sent = fillUntilFull(recorded, chunk);
        expect(recorded.connection.bufferedAmount).toBeGreaterThan(HIGH_WATER_MARK);
        await new Promise((r) => setTimeout(r, 50));
        expect(recorded.drains).toBe(0);
        client.ws.resume();
        await waitFor(() => recorded.drains === 1, 'onDrain');
        expect(recorded.connection.bufferedAmount).toBeLessThanOrEqual(HIGH_WATER_MARK);
        await waitFor(() => client.bytes() === sent, 'all bytes at the client');
        expect(client.messages.every((m) => m.data.equals(chunk))).toBe(true);
        // Sending again works and does not owe another drain.
        expect(recorded.connection.send(chunk)).toBe(true);
        await new Promise((r) => setTimeout(r, 20));
        expect(recorded.drains).toBe(1);
      });

      it('destroys only the connection whose handler throws, and reports it', async () => {
        const first = await open();
        const second = await open();
        first.recorded.onChunk = () => {
          throw new Error('handler failed on purpose');
        };
        first.client.ws.send('boom');
        await first.client.closed;
        await first.recorded.waitClosed();
        expect(errors).toHaveLength(1);
        expect((errors[0] as Error).message).toBe('handler failed on purpose');
        second.client.ws.send('still here');
        await second.recorded.waitForBytes(10);
        expect(second.recorded.closes).toBe(0);
      });

      it('closes the socket and reports when accept() throws', async () => {
        recorder.throwOnAccept = true;
        const client = await connectClient(listener.port).catch(() => undefined);
        if (client) {
          clients.push(client.ws);
          await client.closed;
        }
        expect(errors).toHaveLength(1);
        recorder.throwOnAccept = false;
        await open();
      });

      it('stops accepting after close() but keeps live connections', async () => {
        const { client, recorded } = await open();
        await listener.close();
        await expect(connectClient(listener.port)).rejects.toThrow();
        expect(recorded.connection.send(Buffer.from('still open'))).toBe(true);
        await waitFor(() => client.messages.length === 1, 'message after listener close');
        client.ws.send('and back');
        await recorded.waitForBytes(8);
      });
    });
  });
}
