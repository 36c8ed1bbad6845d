/**
 * Every limit breach gets an ERROR that names the limit's config key, closes
 * only the offending connection, and bumps stompede_limit_breaches_total
 * labelled with that key.
 */
import net from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { MESSAGES_DROPPED } from '../../../server/src/broker/topic-flow.js';
import { LIMIT_BREACHES } from '../../../server/src/counters.js';
import { type BrokerContext, type BrokerOverrides, startBroker } from '../../helpers/broker.js';
import { type Frame, FrameReader } from '../../helpers/frames.js';
import { type RawStompClient, uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

function breaches(b: BrokerContext, limit: string): number {
  return b.broker.counters.get(LIMIT_BREACHES, { limit });
}

/** Wait for the ERROR that ends a connection, and for the close. */
async function expectError(client: RawStompClient, timeoutMs = 5000): Promise<Frame> {
  const error = await client.waitForCommand('ERROR', timeoutMs);
  await client.expectClosed();
  return error;
}

/** A bare TCP connection from a chosen local address, collecting what the broker sends. */
class AddressedSocket {
  readonly frames: Frame[] = [];
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  readonly opened: Promise<void>;

  constructor(port: number, localAddress: string) {
    const reader = new FrameReader(
      (f) => this.frames.push(f),
      () => {},
      () => {},
    );
    this.socket = net.connect({ host: '127.0.0.1', port, localAddress });
    this.socket.on('data', (d: Buffer) => reader.push(d));
    this.socket.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
  }
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('connection limits at accept', () => {
  it('refuses connections past limits.maxConnections with ERROR "too many connections", over TCP and WebSocket', async () => {
    const b = await startBroker({ limits: { maxConnections: 2 } });
    const one = await b.connectTcp({}, 'one');
    const two = await b.connectWs({}, 'two');
    const third = await b.tcp('third');
    const error = await expectError(third);
    expect(error.headers.message).toBe('too many connections');
    expect(error.bodyText).toContain('limits.maxConnections');
    const wsThird = await b.ws({ label: 'ws-third' });
    const wsError = await expectError(wsThird);
    expect(wsError.headers.message).toBe('too many connections');
    expect(breaches(b, 'limits.maxConnections')).toBe(2);
    // A refused connection gets no session.
    expect(b.broker.connectionCount).toBe(2);
    // The accepted ones are untouched; once one leaves, there is room again.
    await one.publish(`/topic/${uniqueName('t')}`, 'still here');
    await two.disconnect();
    await until(() => b.broker.connectionCount === 1);
    const again = await b.connectTcp({}, 'again');
    expect(again.isClosed).toBe(false);
  });

  it('refuses connections past limits.maxConnectionsPerIp from one address, not from another', async () => {
    const b = await startBroker({ limits: { maxConnectionsPerIp: 2 } });
    const port = b.addr.tcp.port;
    const a1 = new AddressedSocket(port, '127.0.0.1');
    const a2 = new AddressedSocket(port, '127.0.0.1');
    await Promise.all([a1.opened, a2.opened]);
    await until(() => b.broker.connectionCount === 2);
    const a3 = new AddressedSocket(port, '127.0.0.1');
    await a3.closed;
    expect(a3.frames.map((f) => f.command)).toEqual(['ERROR']);
    expect(a3.frames[0]!.headers.message).toBe('too many connections');
    expect(a3.frames[0]!.bodyText).toContain('limits.maxConnectionsPerIp');
    expect(a3.frames[0]!.bodyText).toContain('127.0.0.1');
    expect(breaches(b, 'limits.maxConnectionsPerIp')).toBe(1);
    // Another address still gets in.
    const other = new AddressedSocket(port, '127.0.0.2');
    await other.opened;
    other.socket.write('CONNECT\naccept-version:1.2\nhost:localhost\n\n\0');
    await until(() => other.frames.length > 0);
    expect(other.frames[0]!.command).toBe('CONNECTED');
    // Closing one frees its slot for that address.
    a1.socket.destroy();
    await until(() => b.broker.connectionCount === 2);
    const a4 = new AddressedSocket(port, '127.0.0.1');
    await a4.opened;
    a4.socket.write('CONNECT\naccept-version:1.2\nhost:localhost\n\n\0');
    await until(() => a4.frames.length > 0);
    expect(a4.frames[0]!.command).toBe('CONNECTED');
    for (const s of [a2, a4, other]) s.socket.destroy();
  });
});

describe('inbound rate per connection', () => {
  it('closes a connection sending more frames per second than limits.maxInboundFramesPerSecond', async () => {
    const b = await startBroker({ limits: { maxInboundFramesPerSecond: 50 } });
    const dest = `/topic/${uniqueName('rate')}`;
    const bystander = await b.connectTcp({}, 'bystander');
    await bystander.subscribe(dest, 's');
    const flood = await b.connectTcp({}, 'flood');
    for (let i = 0; i < 200; i++) flood.send('SEND', { destination: dest }, `m${i}`);
    const error = await expectError(flood);
    expect(error.headers.message).toBe('rate limit exceeded');
    expect(error.bodyText).toContain('limits.maxInboundFramesPerSecond');
    expect(breaches(b, 'limits.maxInboundFramesPerSecond')).toBe(1);
    // CONNECT + SUBSCRIBE… used the budget of one second (50 frames); what came after was not routed.
    const got = bystander.inbox.filter((f) => f.command === 'MESSAGE').length;
    expect(got).toBeLessThan(50);
    // Others carry on.
    await bystander.publish(dest, 'after');
  });

  it('lets a connection that stays under the frame rate carry on', async () => {
    const b = await startBroker({ limits: { maxInboundFramesPerSecond: 40 } });
    const dest = `/queue/${uniqueName('steady')}`;
    const steady = await b.connectTcp({}, 'steady');
    // 3 bursts of 20 frames, a little over a second apart: 60 frames, never 40 within a second.
    for (let burst = 0; burst < 3; burst++) {
      for (let i = 0; i < 19; i++) steady.send('SEND', { destination: dest }, 'x');
      await steady.publish(dest, 'x');
      await new Promise((r) => setTimeout(r, 1100));
    }
    expect(steady.isClosed).toBe(false);
    expect(breaches(b, 'limits.maxInboundFramesPerSecond')).toBe(0);
  });

  it('closes a connection sending more bytes per second than limits.maxInboundBytesPerSecond', async () => {
    const b = await startBroker({ limits: { maxInboundBytesPerSecond: 16 * 1024 } });
    const c = await b.connectTcp({}, 'bytes');
    c.send('SEND', { destination: `/queue/${uniqueName('b')}` }, Buffer.alloc(32 * 1024, 'x'));
    const error = await expectError(c);
    expect(error.headers.message).toBe('rate limit exceeded');
    expect(error.bodyText).toContain('limits.maxInboundBytesPerSecond');
    expect(breaches(b, 'limits.maxInboundBytesPerSecond')).toBe(1);
  });
});

describe('the existing limits count their breaches', () => {
  const small: BrokerOverrides = {
    limits: {
      maxFrameSize: 1024,
      maxHeaders: 8,
      maxHeaderLineLength: 256,
      maxSubscriptionsPerConnection: 1,
      maxTransactionsPerConnection: 1,
      maxFramesPerTransaction: 1,
    },
  };

  it('frame size, header count and header line length', async () => {
    const b = await startBroker(small);
    const big = await b.connectTcp({}, 'big');
    big.send('SEND', { destination: '/queue/x' }, Buffer.alloc(4096, 'x'));
    expect((await expectError(big)).bodyText).toContain('limits.maxFrameSize');
    const many = await b.connectTcp({}, 'many');
    const headers: Record<string, string> = { destination: '/queue/x' };
    for (let i = 0; i < 20; i++) headers[`h${i}`] = 'v';
    many.send('SEND', headers, 'x');
    expect((await expectError(many)).bodyText).toContain('limits.maxHeaders');
    const long = await b.connectTcp({}, 'long');
    long.send('SEND', { destination: '/queue/x', long: 'y'.repeat(1000) }, 'x');
    expect((await expectError(long)).bodyText).toContain('limits.maxHeaderLineLength');
    expect(breaches(b, 'limits.maxFrameSize')).toBe(1);
    expect(breaches(b, 'limits.maxHeaders')).toBe(1);
    expect(breaches(b, 'limits.maxHeaderLineLength')).toBe(1);
  });

  it('subscriptions and transactions per connection, frames per transaction', async () => {
    const b = await startBroker(small);
    const subs = await b.connectTcp({}, 'subs');
    await subs.subscribe('/topic/a', '1');
    subs.send('SUBSCRIBE', { destination: '/topic/b', id: '2' });
    expect((await expectError(subs)).bodyText).toContain('limits.maxSubscriptionsPerConnection');
    const tx = await b.connectTcp({}, 'tx');
    tx.send('BEGIN', { transaction: 't1' });
    tx.send('BEGIN', { transaction: 't2' });
    expect((await expectError(tx)).bodyText).toContain('limits.maxTransactionsPerConnection');
    const frames = await b.connectTcp({}, 'frames');
    frames.send('BEGIN', { transaction: 't1' });
    frames.send('SEND', { destination: '/queue/x', transaction: 't1' }, 'a');
    frames.send('SEND', { destination: '/queue/x', transaction: 't1' }, 'b');
    expect((await expectError(frames)).bodyText).toContain('limits.maxFramesPerTransaction');
    expect(breaches(b, 'limits.maxSubscriptionsPerConnection')).toBe(1);
    expect(breaches(b, 'limits.maxTransactionsPerConnection')).toBe(1);
    expect(breaches(b, 'limits.maxFramesPerTransaction')).toBe(1);
  });

  it('connect timeout', async () => {
    const b = await startBroker({ limits: { connectTimeoutMs: 100 } });
    const idle = await b.tcp('idle');
    const error = await expectError(idle, 5000);
    expect(error.headers.message).toBe('connect timeout');
    expect(error.bodyText).toContain('limits.connectTimeoutMs');
    expect(breaches(b, 'limits.connectTimeoutMs')).toBe(1);
  });
});

describe('queue depth (maxDepth, overflow)', () => {
  it("refuses a SEND to a full queue with ERROR naming maxDepth (overflow 'refuse')", async () => {
    const b = await startBroker({ destinations: [{ match: '/queue/full.>', maxDepth: 3 }] });
    const name = `full.${uniqueName('q')}`;
    const dest = `/queue/${name}`;
    const producer = await b.connectTcp({}, 'producer');
    for (let i = 0; i < 3; i++) await producer.publish(dest, `m${i}`);
    producer.send('SEND', { destination: dest, receipt: 'r-full' }, 'one too many');
    const error = await expectError(producer);
    expect(error.headers.message).toBe(`queue ${dest} is full (maxDepth 3)`);
    expect(error.headers['receipt-id']).toBe('r-full');
    expect(error.bodyText).toContain('maxDepth');
    expect(breaches(b, 'maxDepth')).toBe(1);
    expect(b.broker.broker.queueInfo(name)?.depth).toBe(3);
    // A consumer takes the three; the queue has room again.
    const consumer = await b.connectTcp({}, 'consumer');
    await consumer.subscribe(dest, 'c');
    expect((await consumer.messages(3)).map((m) => m.bodyText)).toEqual(['m0', 'm1', 'm2']);
    const again = await b.connectTcp({}, 'again');
    await again.publish(dest, 'room now');
    expect((await consumer.message()).bodyText).toBe('room now');
  });

  it("drops the oldest waiting message to make room (overflow 'drop-oldest'), counted", async () => {
    const b = await startBroker({
      destinations: [{ match: '/queue/ring.>', maxDepth: 3, overflow: 'drop-oldest' }],
    });
    const dest = `/queue/ring.${uniqueName('q')}`;
    const producer = await b.connectTcp({}, 'producer');
    for (let i = 0; i < 5; i++) await producer.publish(dest, `m${i}`);
    expect(producer.isClosed).toBe(false);
    const consumer = await b.connectTcp({}, 'consumer');
    await consumer.subscribe(dest, 'c');
    expect((await consumer.messages(3)).map((m) => m.bodyText)).toEqual(['m2', 'm3', 'm4']);
    await consumer.expectNoMessage();
    expect(breaches(b, 'maxDepth')).toBe(2);
    expect(b.broker.counters.get(MESSAGES_DROPPED, { reason: 'queue-full' })).toBe(2);
  });

  it('refuses a composite SEND before any copy goes out when one of its queues is full', async () => {
    const b = await startBroker({ destinations: [{ match: '/queue/full.>', maxDepth: 1 }] });
    const full = `/queue/full.${uniqueName('q')}`;
    const other = `/queue/${uniqueName('other')}`;
    const producer = await b.connectTcp({}, 'producer');
    await producer.publish(full, 'first');
    producer.send('SEND', { destination: `${other},${full}` }, 'both');
    expect((await expectError(producer)).headers.message).toBe(
      `queue ${full} is full (maxDepth 1)`,
    );
    const consumer = await b.connectTcp({}, 'consumer');
    await consumer.subscribe(other, 'o');
    await consumer.expectNoMessage();
  });
});

describe('limits.maxHistoryMessages', () => {
  it('bounds a history kept by age alone, counting what it trims', async () => {
    const b = await startBroker({
      limits: { maxHistoryMessages: 5 },
      destinations: [{ match: '/topic/aged.>', historyMaxAgeMs: 60_000 }],
    });
    const dest = `/topic/aged.${uniqueName('h')}`;
    const producer = await b.connectTcp({}, 'producer');
    for (let i = 0; i < 8; i++) await producer.publish(dest, `m${i}`);
    const reader = await b.connectTcp({}, 'reader');
    await reader.subscribe(dest, 'r', { 'x-history-last': '100' });
    expect((await reader.messages(5)).map((m) => m.bodyText)).toEqual([
      'm3',
      'm4',
      'm5',
      'm6',
      'm7',
    ]);
    await reader.expectNoMessage();
    expect(breaches(b, 'limits.maxHistoryMessages')).toBe(3);
  });
});
