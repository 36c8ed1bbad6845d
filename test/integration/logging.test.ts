/**
 * The broker's log, captured from a real broker: exactly one line when a
 * connection opens and one when it closes, saying why (DISCONNECT, ERROR
 * and its message, heart-beat timeout, socket closed, shutdown, limit
 * breach), and limit breaches logged at a bounded rate while the counter
 * counts every one.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { createBroker } from '../../server/src/index.js';
import { createLogger } from '../../server/src/logger.js';
import { adminClient } from '../helpers/admin-http.js';
import { closeWithTimeout } from '../helpers/broker.js';
import { TcpStompClient, WsStompClient } from '../helpers/raw-client.js';
import { usersFile } from './security/auth-support.js';

type Line = Record<string, unknown>;

async function loggedBroker(config: Parameters<typeof createBroker>[0] = {}) {
  const lines: Line[] = [];
  const logger = createLogger('info', {
    destination: { write: (chunk: string) => lines.push(JSON.parse(chunk) as Line) },
  });
  const broker = createBroker(
    { host: '127.0.0.1', tcpPort: 0, wsPort: 0, wsTransport: 'ws', store: 'memory', ...config },
    logger,
  );
  const addresses = await broker.listen();
  const clients: { destroy(): void }[] = [];
  onTestFinished(async () => {
    for (const c of clients) c.destroy();
    await closeWithTimeout(broker);
  });
  return {
    broker,
    lines,
    httpOrigin: `http://127.0.0.1:${addresses.ws!.port}`,
    events: (event: string) => lines.filter((l) => l.event === event),
    async tcp(label = 'tcp') {
      const c = new TcpStompClient('127.0.0.1', addresses.tcp!.port, label);
      clients.push(c);
      await c.opened;
      return c;
    },
    async ws(label = 'ws') {
      const c = new WsStompClient(`ws://127.0.0.1:${addresses.ws!.port}/stomp`, undefined, label);
      clients.push(c);
      await c.opened;
      return c;
    },
  };
}

/** The close line, once the broker has written it (the socket may close a moment before). */
async function closeLine(b: Awaited<ReturnType<typeof loggedBroker>>, count = 1): Promise<Line[]> {
  const deadline = Date.now() + 5000;
  while (b.events('connection.close').length < count) {
    if (Date.now() > deadline) throw new Error(`no close line in:\n${JSON.stringify(b.lines)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return b.events('connection.close');
}

describe('connection log lines', () => {
  it('one line on open and one on close after DISCONNECT, naming the session, user and client-id', async () => {
    const b = await loggedBroker({
      auth: {
        usersFile: await usersFile({ alice: ['a-pass', []] }),
        rules: [{ match: '>', read: ['*'], write: ['*'] }],
      },
    });
    const c = await b.tcp();
    const connected = await c.connect({ login: 'alice', passcode: 'a-pass', 'client-id': 'app-1' });
    await c.publish('/topic/t', 'x');
    await c.disconnect();
    const [close] = await closeLine(b);
    const [open] = b.events('connection.open');
    expect(b.events('connection.open')).toHaveLength(1);
    expect(b.events('connection.close')).toHaveLength(1);
    expect(open).toMatchObject({
      level: 30,
      msg: 'connection opened',
      session: connected.headers.session,
      transport: 'tcp',
      secure: false,
      remoteAddress: '127.0.0.1',
    });
    expect(close).toMatchObject({
      msg: 'connection closed',
      session: connected.headers.session,
      reason: 'client-disconnect',
      user: 'alice',
      clientId: 'app-1',
      framesIn: 3,
    });
    expect(close!.error).toBeUndefined();
    expect(typeof close!.durationMs).toBe('number');
  });

  it('an ERROR the broker sent: reason error and its message', async () => {
    const b = await loggedBroker();
    const c = await b.ws();
    await c.connect();
    c.send('BOGUS', {});
    const error = await c.waitForCommand('ERROR');
    await c.expectClosed();
    const [close] = await closeLine(b);
    expect(b.events('connection.open')[0]).toMatchObject({ transport: 'ws' });
    expect(error.headers.message).toContain('BOGUS');
    expect(close).toMatchObject({ reason: 'error', error: error.headers.message });
  });

  it('a socket closed without DISCONNECT: reason socket-closed', async () => {
    const b = await loggedBroker();
    const c = await b.tcp();
    await c.connect();
    c.destroy();
    const [close] = await closeLine(b);
    expect(close).toMatchObject({ reason: 'socket-closed' });
    expect(close!.resumable).toBeUndefined();
  });

  it('a dropped WebSocket session waits resumable; the connection that resumes it names both ids', async () => {
    const b = await loggedBroker();
    const first = await b.ws('first');
    const connected = await first.connect();
    const session = connected.headers.session!;
    first.destroy();
    const [dropped] = await closeLine(b);
    expect(dropped).toMatchObject({
      reason: 'socket-closed',
      resumable: true,
      connection: session,
      session,
    });
    const second = await b.ws('second');
    const resumed = await second.connect({ 'x-resume': connected.headers['x-resume-token']! });
    expect(resumed.headers['x-resumed']).toBe('true');
    await second.disconnect();
    const [, closed] = await closeLine(b, 2);
    const secondOpen = b.events('connection.open')[1]!;
    expect(secondOpen.connection).not.toBe(session);
    expect(closed).toMatchObject({
      reason: 'client-disconnect',
      connection: secondOpen.connection,
      session,
    });
  });

  it('a silent client: reason heartbeat-timeout', async () => {
    const b = await loggedBroker({
      heartbeat: { sendMs: 0, receiveMs: 50, toleranceFactor: 1, graceMs: 0 },
    });
    const c = await b.tcp();
    await c.connect({ 'heart-beat': '50,0' });
    await c.expectClosed();
    const [close] = await closeLine(b);
    expect(close).toMatchObject({ reason: 'heartbeat-timeout', error: 'heart-beat timeout' });
  });

  it('a limit breach: reason limit-exceeded naming the limit, plus one breach line', async () => {
    const b = await loggedBroker({ limits: { maxFrameSize: 1024 } });
    const c = await b.tcp();
    await c.connect();
    c.send('SEND', { destination: '/queue/big' }, 'x'.repeat(4096));
    await c.expectClosed();
    const [close] = await closeLine(b);
    expect(close).toMatchObject({ reason: 'limit-exceeded', limit: 'limits.maxFrameSize' });
    expect(b.events('limit.breach')).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'limit breached',
        limit: 'limits.maxFrameSize',
        breaches: 1,
      }),
    ]);
  });

  it('server shutdown: reason server-shutdown for every open connection', async () => {
    const b = await loggedBroker();
    const first = await b.tcp('first');
    await first.connect();
    const second = await b.ws('second');
    await second.connect();
    await b.broker.close();
    const closes = await closeLine(b, 2);
    expect(closes.map((l) => l.reason)).toEqual(['server-shutdown', 'server-shutdown']);
    expect(b.events('connection.open')).toHaveLength(2);
  });
});

describe('admin action log lines', () => {
  it('an action through the admin API writes one admin.action line with who, what and on what', async () => {
    const b = await loggedBroker();
    const c = await b.tcp();
    await c.connect();
    await c.publish('/queue/jobs', 'a');
    await c.publish('/queue/jobs', 'b');
    const purged = await adminClient(b.httpOrigin).del('/queues/jobs/messages');
    expect(purged.status).toBe(200);
    expect(b.events('admin.action')).toEqual([
      expect.objectContaining({
        msg: 'admin action',
        action: 'purge',
        target: '/queue/jobs',
        user: '',
        ok: true,
        purged: 2,
      }),
    ]);
  });
});

describe('limit breach log lines', () => {
  it('a flood of breaches is logged at a bounded rate; the counter has them all', async () => {
    const b = await loggedBroker({ limits: { maxConnections: 1 } });
    const holder = await b.tcp('holder');
    await holder.connect();
    const refused: TcpStompClient[] = [];
    for (let i = 0; i < 30; i++) refused.push(await b.tcp(`refused-${i}`));
    for (const c of refused) await c.expectClosed();
    const counted = b.broker.counters.get('stompede_limit_breaches_total', {
      limit: 'limits.maxConnections',
    });
    expect(counted).toBe(30);
    const logged = b.events('limit.breach');
    expect(logged.length).toBeGreaterThanOrEqual(1);
    expect(logged.length).toBeLessThan(30);
    expect(logged[0]).toMatchObject({ limit: 'limits.maxConnections', breaches: 1 });
    // Each line stands for the breaches since the one before: none is logged twice.
    const represented = logged.reduce((sum, l) => sum + (l.breaches as number), 0);
    expect(represented).toBeLessThanOrEqual(30);
    // Refused at accept, they never had a session: no open/close lines of their own.
    expect(b.events('connection.open')).toHaveLength(1);
  });
});
