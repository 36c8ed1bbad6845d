/**
 * WebSocket `Origin` allow-list: both engines, and attach() mode. Refused
 * upgrades get HTTP 403 with a short text body, a log line and a counter.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { createBroker } from '../../../server/src/index.js';
import { closeWithTimeout, startBroker } from '../../helpers/broker.js';
import { STOMP_WS_PROTOCOLS } from '../../helpers/raw-client.js';
import { HAVE_OPENSSL, makePki, type Pki, startTlsBroker } from './tls-support.js';

type Broker = ReturnType<typeof createBroker>;

interface UpgradeOutcome {
  /** 101 when upgraded, else the HTTP status of the refusal. */
  status: number;
  body: string;
}

/** Try one WebSocket upgrade with this Origin (none when undefined); close it if it succeeds. */
function tryUpgrade(
  url: string,
  origin?: string,
  options: WebSocket.ClientOptions = {},
): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, STOMP_WS_PROTOCOLS, {
      ...options,
      ...(origin === undefined ? {} : { origin }),
    });
    ws.once('open', () => {
      ws.terminate();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => {
        ws.terminate();
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    ws.once('error', (err) => reject(err));
  });
}

function refused(broker: Broker, reason: 'origin' | 'missing-origin'): number {
  return broker.counters.get('stompede_refused_upgrades_total', { reason });
}

/** A broker mounted on a plain node http.Server with attach(). */
async function startAttached(origins: { allowed?: string[]; allowMissing?: boolean } = {}) {
  const server = http.createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  const broker = createBroker({
    host: '127.0.0.1',
    tcpPort: null,
    wsPort: null,
    store: 'memory',
    logLevel: 'silent',
    origins,
  });
  onTestFinished(async () => {
    await closeWithTimeout(broker);
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  await broker.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { broker, port };
}

/** The three ways the broker serves WebSocket: its own listener with either engine, or attached. */
const MODES = ['uws', 'ws', 'attach'] as const;
type Mode = (typeof MODES)[number];

async function start(
  mode: Mode,
  origins: { allowed?: string[]; allowMissing?: boolean } = {},
): Promise<{ broker: Broker; port: number }> {
  if (mode === 'attach') return startAttached(origins);
  const b = await startBroker({ wsTransport: mode, origins });
  expect(b.addr.wsTransport).toBe(mode);
  return { broker: b.broker, port: b.addr.ws.port };
}

describe('WebSocket Origin allow-list', () => {
  for (const mode of MODES) {
    describe(mode === 'attach' ? 'attach(httpServer)' : `${mode} engine`, () => {
      it('allows configured origins (exact and wildcard) and refuses others with 403', async () => {
        const { broker, port } = await start(mode, {
          allowed: ['https://app.example.com', 'https://*.example.org', 'http://localhost:3000'],
        });
        const url = `ws://127.0.0.1:${port}/stomp`;
        expect((await tryUpgrade(url, 'https://app.example.com')).status).toBe(101);
        expect((await tryUpgrade(url, 'https://APP.example.com:443')).status).toBe(101);
        expect((await tryUpgrade(url, 'https://a.b.example.org')).status).toBe(101);
        expect((await tryUpgrade(url, 'http://localhost:3000')).status).toBe(101);

        const foreign = await tryUpgrade(url, 'https://evil.example.net');
        expect(foreign.status).toBe(403);
        expect(foreign.body).toContain('https://evil.example.net');
        expect(foreign.body.length).toBeLessThan(200);
        // Near misses: the bare wildcard domain, another scheme, another port, a lookalike suffix.
        expect((await tryUpgrade(url, 'https://example.org')).status).toBe(403);
        expect((await tryUpgrade(url, 'http://app.example.com')).status).toBe(403);
        expect((await tryUpgrade(url, 'http://localhost:3001')).status).toBe(403);
        expect((await tryUpgrade(url, 'https://notexample.org')).status).toBe(403);
        expect((await tryUpgrade(url, 'null')).status).toBe(403);
        expect(refused(broker, 'origin')).toBe(6);
        expect(broker.connectionCount).toBe(0);
      });

      it('allows the broker’s own origin (from the Host header) and no Origin at all, by default', async () => {
        const { broker, port } = await start(mode);
        const url = `ws://127.0.0.1:${port}/stomp`;
        expect((await tryUpgrade(url, `http://127.0.0.1:${port}`)).status).toBe(101);
        expect(
          (
            await tryUpgrade(url, `http://localhost:${port}`, {
              headers: { host: `localhost:${port}` },
            })
          ).status,
        ).toBe(101);
        expect((await tryUpgrade(url)).status).toBe(101);
        // Same host, other scheme or port: another origin.
        expect((await tryUpgrade(url, `https://127.0.0.1:${port}`)).status).toBe(403);
        expect((await tryUpgrade(url, `http://127.0.0.1:${port + 1}`)).status).toBe(403);
        expect((await tryUpgrade(url, 'https://example.com')).status).toBe(403);
        expect(refused(broker, 'origin')).toBe(3);
      });

      it('refuses upgrades without an Origin header when allowMissing is false', async () => {
        const { broker, port } = await start(mode, { allowMissing: false });
        const url = `ws://127.0.0.1:${port}/stomp`;
        const missing = await tryUpgrade(url);
        expect(missing.status).toBe(403);
        expect(missing.body).toMatch(/Origin/);
        expect(refused(broker, 'missing-origin')).toBe(1);
        expect((await tryUpgrade(url, `http://127.0.0.1:${port}`)).status).toBe(101);
      });

      it("'*' allows any origin", async () => {
        const { port } = await start(mode, { allowed: ['*'] });
        const url = `ws://127.0.0.1:${port}/stomp`;
        expect((await tryUpgrade(url, 'https://anything.example')).status).toBe(101);
      });
    });
  }

  it('logs each refused upgrade once', async () => {
    const lines: Record<string, unknown>[] = [];
    const { Writable } = await import('node:stream');
    const { default: pino } = await import('pino');
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    const broker = createBroker(
      { host: '127.0.0.1', tcpPort: null, wsPort: 0, wsTransport: 'ws', store: 'memory' },
      pino({ level: 'info' }, sink),
    );
    onTestFinished(() => closeWithTimeout(broker));
    const { ws } = await broker.listen();
    await tryUpgrade(`ws://127.0.0.1:${ws!.port}/stomp`, 'https://evil.example');
    await new Promise((r) => setTimeout(r, 20));
    const refusals = lines.filter((l) => String(l.msg).startsWith('WebSocket upgrade refused'));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ reason: 'origin', origin: 'https://evil.example' });
  });
});

describe.skipIf(!HAVE_OPENSSL)('Origin allow-list on wss://', () => {
  let pki: Pki;
  beforeAll(() => {
    pki = makePki();
  });
  afterAll(() => pki?.remove());

  for (const engine of ['uws', 'ws'] as const) {
    it(`the broker's own origin is https:// on the wss port (${engine} engine)`, async () => {
      const b = await startTlsBroker(pki, { wsTransport: engine });
      const port = b.addresses.wss!.port;
      const url = `wss://127.0.0.1:${port}/stomp`;
      const tls = { ca: pki.ca };
      expect((await tryUpgrade(url, `https://127.0.0.1:${port}`, tls)).status).toBe(101);
      expect((await tryUpgrade(url, `http://127.0.0.1:${port}`, tls)).status).toBe(403);
      expect((await tryUpgrade(url, 'https://evil.example', tls)).status).toBe(403);
      expect(refused(b.broker, 'origin')).toBe(2);
    });
  }
});
