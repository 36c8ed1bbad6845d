/**
 * Slow topic consumers: a subscriber that stops reading costs the broker a
 * bounded amount of memory (slowConsumers.maxBufferedBytes), loses messages
 * (counted, and reported on its next MESSAGE as x-dropped) or is disconnected,
 * while other subscribers keep their rate. Per-subscription x-max-rate and
 * x-conflate-key thin the stream on purpose.
 */
import { describe, expect, it, vi } from 'vitest';
import { MESSAGES_DROPPED } from '../../../server/src/broker/topic-flow.js';
import { LIMIT_BREACHES } from '../../../server/src/counters.js';
import { type BrokerContext, type BrokerOverrides, startBroker } from '../../helpers/broker.js';
import type { Frame } from '../../helpers/frames.js';
import { type RawStompClient, uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });

const KIB = 1024;
const MIB = 1024 * 1024;

/** Small buffers so a stalled reader is "behind" after a few MiB rather than hundreds. */
const SLOW: BrokerOverrides = {
  limits: { outboundHighWaterMark: 64 * KIB },
  slowConsumers: { topicPolicy: 'drop', maxBufferedBytes: 1 * MIB },
};

/** SEND `n` messages, waiting for a RECEIPT every `batch` so the producer never runs far ahead. */
async function publishMany(
  producer: RawStompClient,
  destination: string,
  n: number,
  body: string | Buffer,
  headersOf: (i: number) => Record<string, string> = (i) => ({ 'x-seq': String(i) }),
  batch = 100,
): Promise<void> {
  for (let i = 0; i < n; i++) {
    const headers = { destination, ...headersOf(i) };
    if ((i + 1) % batch === 0 || i === n - 1) await producer.sendWithReceipt('SEND', headers, body);
    else producer.send('SEND', headers, body);
  }
}

function messagesOf(client: RawStompClient): Frame[] {
  return client.history.filter((f) => f.command === 'MESSAGE');
}

function sumHeader(frames: Frame[], name: string): number {
  return frames.reduce((sum, f) => sum + Number(f.headers[name] ?? 0), 0);
}

/**
 * Wait until `client` has received `n` MESSAGE frames (its `messages()` helper
 * describes what it has so far in every wait, too costly for thousands of KiB bodies).
 */
async function received(client: RawStompClient, n: number, timeoutMs = 30_000): Promise<Frame[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = messagesOf(client);
    if (got.length >= n) return got;
    if (Date.now() > deadline || client.isClosed)
      throw new Error(`${client.label} received ${got.length} of ${n} messages`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolve once `client` has received no new frame for `quietMs`. */
async function settle(client: RawStompClient, quietMs = 300, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  while (client.history.length !== seen) {
    if (Date.now() > deadline) throw new Error(`${client.label} kept receiving`);
    seen = client.history.length;
    await new Promise((r) => setTimeout(r, quietMs));
  }
}

function counter(b: BrokerContext, name: string, labels: Record<string, string>): number {
  return b.broker.counters.get(name, labels);
}

describe("slow topic subscribers, policy 'drop'", () => {
  it('drops for the stalled subscriber only, reports x-dropped on its next MESSAGE, counts every drop', async () => {
    const b = await startBroker(SLOW);
    const dest = `/topic/${uniqueName('slow')}`;
    const slow = await b.connectTcp({}, 'slow');
    await slow.subscribe(dest, 'slow');
    slow.socket.pause();
    const fast = await b.connectTcp({}, 'fast');
    await fast.subscribe(dest, 'fast');
    const producer = await b.connectTcp({}, 'producer');
    const n = 4000;
    await publishMany(producer, dest, n, Buffer.alloc(4 * KIB, 'p'));
    // The fast subscriber gets every message, in order, none marked lost.
    const got = await received(fast, n);
    expect(got.map((m) => Number(m.headers['x-seq']))).toEqual(
      Array.from({ length: n }, (_, i) => i),
    );
    expect(got.some((m) => m.headers['x-dropped'] !== undefined)).toBe(false);
    const dropped = counter(b, MESSAGES_DROPPED, { reason: 'slow-consumer' });
    expect(dropped).toBeGreaterThan(0);
    expect(counter(b, LIMIT_BREACHES, { limit: 'slowConsumers.maxBufferedBytes' })).toBe(dropped);
    // The stalled one reads again: what was buffered, then the next message says how many it lost.
    slow.socket.resume();
    await settle(slow);
    await producer.publish(dest, 'marker', { 'x-seq': 'marker' });
    await slow.message((m) => m.headers['x-seq'] === 'marker', 10_000);
    const slowGot = messagesOf(slow);
    const lost = sumHeader(slowGot, 'x-dropped');
    expect(lost).toBe(dropped);
    expect(slowGot.length - 1 + lost).toBe(n);
    // Whatever it did get came in order.
    const seqs = slowGot.slice(0, -1).map((m) => Number(m.headers['x-seq']));
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(slow.isClosed).toBe(false);
  });

  it('keeps broker memory bounded while a subscriber stalls (generous RSS bound)', async () => {
    const b = await startBroker({
      ...SLOW,
      limits: { ...SLOW.limits, maxInboundBytesPerSecond: 1024 * MIB },
    });
    const dest = `/topic/${uniqueName('rss')}`;
    const slow = await b.connectTcp({}, 'slow');
    await slow.subscribe(dest, 'slow');
    slow.socket.pause();
    const producer = await b.connectTcp({}, 'producer');
    const body = Buffer.alloc(64 * KIB, 'r');
    // Warm up, then measure across 384 MiB of publishing (faster than the default inbound byte rate).
    await publishMany(producer, dest, 200, body, undefined, 50);
    const before = process.memoryUsage().rss;
    await publishMany(producer, dest, 6144, body, undefined, 50);
    const grew = process.memoryUsage().rss - before;
    expect(counter(b, MESSAGES_DROPPED, { reason: 'slow-consumer' })).toBeGreaterThan(5000);
    // Holding it all would take 384 MiB more; the policy keeps it to ~1 MiB plus garbage not yet collected.
    expect(grew).toBeLessThan(160 * MIB);
    slow.destroy();
  });
});

describe("slow topic subscribers, policy 'disconnect'", () => {
  it('closes the stalled subscriber with ERROR "slow consumer"; the others carry on', async () => {
    const b = await startBroker({
      ...SLOW,
      slowConsumers: { topicPolicy: 'disconnect', maxBufferedBytes: 1 * MIB },
    });
    const dest = `/topic/${uniqueName('slow')}`;
    const slow = await b.connectTcp({}, 'slow');
    await slow.subscribe(dest, 'slow');
    slow.socket.pause();
    const fast = await b.connectTcp({}, 'fast');
    await fast.subscribe(dest, 'fast');
    const producer = await b.connectTcp({}, 'producer');
    const n = 4000;
    await publishMany(producer, dest, n, Buffer.alloc(4 * KIB, 'p'));
    expect((await received(fast, n)).length).toBe(n);
    expect(counter(b, LIMIT_BREACHES, { limit: 'slowConsumers.maxBufferedBytes' })).toBe(1);
    slow.socket.resume();
    const error = await slow.waitForCommand('ERROR', 10_000);
    expect(error.headers.message).toBe('slow consumer');
    expect(error.bodyText).toContain('slowConsumers.maxBufferedBytes');
    await slow.expectClosed();
    // What it got before the ERROR is an unbroken prefix.
    const seqs = messagesOf(slow).map((m) => Number(m.headers['x-seq']));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i));
    expect(seqs.length).toBeLessThan(n);
    expect(producer.isClosed).toBe(false);
    expect(fast.isClosed).toBe(false);
  });
});

describe('x-max-rate', () => {
  it('delivers at most that many messages per second, drops the excess and reports it', async () => {
    const b = await startBroker();
    const dest = `/topic/${uniqueName('rate')}`;
    const limited = await b.connectTcp({}, 'limited');
    await limited.subscribe(dest, 'l', { 'x-max-rate': '5' });
    const full = await b.connectTcp({}, 'full');
    await full.subscribe(dest, 'f');
    const producer = await b.connectTcp({}, 'producer');
    const n = 50;
    await publishMany(producer, dest, n, 'tick');
    expect((await full.messages(n)).length).toBe(n);
    await settle(limited);
    const burst = messagesOf(limited).length;
    // One second's budget (5); a scheduler tick landing inside the burst may add one more second's worth.
    expect(burst).toBeGreaterThanOrEqual(5);
    expect(burst).toBeLessThanOrEqual(10);
    // After the budget refills, the next message goes out and carries the count of those dropped.
    await new Promise((r) => setTimeout(r, 1200));
    await producer.publish(dest, 'later', { 'x-seq': 'later' });
    const later = await limited.message((m) => m.headers['x-seq'] === 'later');
    expect(Number(later.headers['x-dropped'])).toBe(n - burst);
    expect(counter(b, MESSAGES_DROPPED, { reason: 'max-rate' })).toBe(n - burst);
    expect(messagesOf(full).some((m) => m.headers['x-dropped'] !== undefined)).toBe(false);
  });

  it('rejects an x-max-rate that is not a positive whole number', async () => {
    const b = await startBroker();
    const c = await b.connectTcp({}, 'bad');
    c.send('SUBSCRIBE', { destination: '/topic/x', id: '1', 'x-max-rate': 'fast' });
    const error = await c.waitForCommand('ERROR');
    expect(error.headers.message).toBe('invalid x-max-rate: fast');
  });
});

describe('x-conflate-key', () => {
  const SYMBOLS = ['AAA', 'BBB', 'CCC'];

  it('a stalled subscriber gets only the latest price per symbol when it resumes, with x-conflated counts', async () => {
    const b = await startBroker(SLOW);
    const dest = `/topic/${uniqueName('prices')}`;
    const watcher = await b.connectTcp({}, 'watcher');
    await watcher.subscribe(dest, 'w', { 'x-conflate-key': 'symbol' });
    watcher.socket.pause();
    const producer = await b.connectTcp({}, 'producer');
    const n = 3000;
    const body = Buffer.alloc(8 * KIB, 'q');
    await publishMany(producer, dest, n, body, (i) => ({
      symbol: SYMBOLS[i % 3]!,
      'x-seq': String(i),
    }));
    const conflated = counter(b, MESSAGES_DROPPED, { reason: 'conflated' });
    expect(conflated).toBeGreaterThan(0);
    watcher.socket.resume();
    await settle(watcher);
    const got = messagesOf(watcher);
    // The last three are the newest update of each symbol.
    const lastThree = got.slice(-3);
    expect(lastThree.map((m) => m.headers.symbol).sort()).toEqual(SYMBOLS);
    for (const m of lastThree) {
      const latest = n - 1 - ((n - 1 - SYMBOLS.indexOf(m.headers.symbol!)) % 3);
      expect(Number(m.headers['x-seq'])).toBe(latest);
    }
    // Every message is either delivered or counted as conflated (or dropped, had the held set overflowed).
    expect(sumHeader(got, 'x-conflated')).toBe(conflated);
    expect(got.length + sumHeader(got, 'x-conflated') + sumHeader(got, 'x-dropped')).toBe(n);
    // Per symbol, what arrived is in publish order.
    for (const symbol of SYMBOLS) {
      const seqs = got
        .filter((m) => m.headers.symbol === symbol)
        .map((m) => Number(m.headers['x-seq']));
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
  });

  it('with x-max-rate, holds the newest per key while over the rate and delivers it on the next tick', async () => {
    const b = await startBroker();
    const dest = `/topic/${uniqueName('prices')}`;
    const watcher = await b.connectTcp({}, 'watcher');
    await watcher.subscribe(dest, 'w', { 'x-conflate-key': 'symbol', 'x-max-rate': '2' });
    const producer = await b.connectTcp({}, 'producer');
    const n = 30;
    await publishMany(producer, dest, n, 'price', (i) => ({
      symbol: SYMBOLS[i % 3]!,
      'x-seq': String(i),
    }));
    // Budget 2 per second: the held three (one per symbol) go out over the next ticks.
    await watcher.messages(5, () => true, 5000);
    await settle(watcher, 1200);
    const got = messagesOf(watcher);
    const latest = got.slice(-3);
    expect(latest.map((m) => m.headers.symbol).sort()).toEqual(SYMBOLS);
    expect(latest.map((m) => Number(m.headers['x-seq'])).sort((x, y) => x - y)).toEqual([
      27, 28, 29,
    ]);
    expect(got.length + sumHeader(got, 'x-conflated')).toBe(n);
    expect(sumHeader(got, 'x-conflated')).toBe(
      counter(b, MESSAGES_DROPPED, { reason: 'conflated' }),
    );
  });
});
