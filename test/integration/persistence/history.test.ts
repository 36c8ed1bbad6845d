/**
 * Topic history (retention by count / age) and replay on SUBSCRIBE:
 * x-history-last, x-history-since, x-history-after, RabbitMQ x-stream-offset.
 * Replay hands over to live delivery with no gap and no duplicate, even while a
 * publisher is publishing at full speed.
 */
import { describe, expect, it, vi } from 'vitest';
import type { BrokerOverrides } from '../../helpers/broker.js';
import type { Frame } from '../../helpers/frames.js';
import {
  bodies,
  PERSISTENT,
  seqOf,
  startLmdbBroker,
  tempDataDir,
} from '../../helpers/persistence.js';
import { type RawStompClient, uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 45_000, hookTimeout: 30_000 });

const POLICY: BrokerOverrides = {
  destinations: [
    { match: '/topic/logs.>', historyMaxMessages: 100 },
    { match: '/topic/aged.>', historyMaxAgeMs: 400 },
  ],
};

async function lmdb() {
  return startLmdbBroker(await tempDataDir(), POLICY);
}

const logsTopic = () => `/topic/logs.${uniqueName('h')}`;

async function publishNumbered(
  pub: RawStompClient,
  topic: string,
  from: number,
  to: number,
  headers: Record<string, string> = { ...PERSISTENT },
): Promise<void> {
  for (let i = from; i <= to; i++) {
    const h = { ...headers, seq: String(i) };
    if (i === to) await pub.publish(topic, `m${i}`, h);
    else pub.send('SEND', { destination: topic, ...h }, `m${i}`);
  }
}

/**
 * Subscribe with replay headers, then publish one live message and collect everything
 * up to it. Returns the seqs replayed, after checking the x-history flags.
 */
async function replayThenLive(
  sub: RawStompClient,
  pub: RawStompClient,
  topic: string,
  headers: Record<string, string>,
): Promise<number[]> {
  await sub.subscribe(topic, 'replay', { ack: 'auto', ...headers });
  const token = uniqueName('live');
  await pub.publish(topic, 'live', { ...PERSISTENT, live: token });
  const got: Frame[] = [];
  for (let i = 0; i < 1000; i++) {
    const f = await sub.message();
    if (f.headers.live === token) {
      expect(f.headers['x-history']).not.toBe('true');
      break;
    }
    expect(f.headers['x-history'], `replayed m${f.headers.seq}`).toBe('true');
    expect(f.headers.subscription).toBe('replay');
    got.push(f);
  }
  return got.map(seqOf);
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('topic history replay', () => {
  it('x-history-last:N replays the last N messages (x-history:true), then continues live', async () => {
    const b = await lmdb();
    const topic = logsTopic();
    const pub = await b.connectTcp({}, 'pub');
    await publishNumbered(pub, topic, 1, 10);
    const sub = await b.connectTcp({}, 'sub');
    expect(await replayThenLive(sub, pub, topic, { 'x-history-last': '3' })).toEqual([8, 9, 10]);
  });

  it('keeps at most historyMaxMessages (100): x-history-last:500 and x-stream-offset:first give the last 100', async () => {
    const b = await lmdb();
    const topic = logsTopic();
    const pub = await b.connectTcp({}, 'pub');
    await publishNumbered(pub, topic, 1, 120);
    const s1 = await b.connectTcp({}, 'last-500');
    expect(await replayThenLive(s1, pub, topic, { 'x-history-last': '500' })).toEqual(
      range(21, 120),
    );
    const s2 = await b.connectTcp({}, 'first');
    // The live message of the previous subscriber is history now (no seq → NaN).
    const firstReplay = await replayThenLive(s2, pub, topic, { 'x-stream-offset': 'first' });
    expect(firstReplay).toHaveLength(100);
    expect(firstReplay.slice(0, 99)).toEqual(range(22, 120));
  });

  it('retains non-persistent messages too (in memory) while the broker runs', async () => {
    const b = await lmdb();
    const topic = logsTopic();
    const pub = await b.connectTcp({}, 'pub');
    await publishNumbered(pub, topic, 1, 3, {});
    const sub = await b.connectTcp({}, 'sub');
    expect(await replayThenLive(sub, pub, topic, { 'x-history-last': '10' })).toEqual([1, 2, 3]);
  });

  it('x-history-since:<ms> replays the messages published at or after that time', async () => {
    const b = await lmdb();
    const topic = logsTopic();
    const observer = await b.connectTcp({}, 'observer');
    await observer.subscribe(topic, 'o', { ack: 'auto' });
    const pub = await b.connectTcp({}, 'pub');
    await publishNumbered(pub, topic, 1, 5);
    const early = await observer.messages(5);
    const lastEarly = Math.max(...early.map((f) => Number(f.headers.timestamp)));
    expect(Number.isFinite(lastEarly)).toBe(true);
    // Let the clock move past the first batch so `since` separates the two batches exactly.
    while (Date.now() < lastEarly + 3) await new Promise((r) => setTimeout(r, 2));
    await publishNumbered(pub, topic, 6, 10);
    const sub = await b.connectTcp({}, 'sub');
    expect(
      await replayThenLive(sub, pub, topic, { 'x-history-since': String(lastEarly + 1) }),
    ).toEqual([6, 7, 8, 9, 10]);
  });

  it('x-history-after:<message-id> replays the messages after that one', async () => {
    const b = await lmdb();
    const topic = logsTopic();
    const observer = await b.connectTcp({}, 'observer');
    await observer.subscribe(topic, 'o', { ack: 'auto' });
    const pub = await b.connectTcp({}, 'pub');
    await publishNumbered(pub, topic, 1, 6);
    const seen = await observer.messages(6);
    const id3 = seen[2]!.headers['message-id']!;
    const sub = await b.connectTcp({}, 'sub');
    const replay = await replayThenLive(sub, pub, topic, { 'x-history-after': id3 });
    expect(replay).toEqual([4, 5, 6]);
  });

  it('replayed messages keep their message-id, headers and body', async () => {
    const b = await lmdb();
    const topic = logsTopic();
    const observer = await b.connectTcp({}, 'observer');
    await observer.subscribe(topic, 'o', { ack: 'auto' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(topic, 'hello', { ...PERSISTENT, seq: '1', custom: 'x:y' });
    const live = await observer.message();
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(topic, 'r', { ack: 'auto', 'x-history-last': '1' });
    const replayed = await sub.message();
    expect(replayed.bodyText).toBe('hello');
    expect(replayed.headers['message-id']).toBe(live.headers['message-id']);
    expect(replayed.headers.custom).toBe('x:y');
    expect(replayed.headers.timestamp).toBe(live.headers.timestamp);
    expect(replayed.headers.destination).toBe(topic);
    expect(replayed.headers['x-history']).toBe('true');
  });

  it('x-stream-offset: first | last | next', async () => {
    const b = await lmdb();
    const topic = logsTopic();
    const pub = await b.connectTcp({}, 'pub');
    await publishNumbered(pub, topic, 1, 5);
    const first = await b.connectTcp({}, 'first');
    expect(await replayThenLive(first, pub, topic, { 'x-stream-offset': 'first' })).toEqual([
      1, 2, 3, 4, 5,
    ]);
    const topic2 = logsTopic();
    await publishNumbered(pub, topic2, 1, 5);
    const last = await b.connectTcp({}, 'last');
    expect(await replayThenLive(last, pub, topic2, { 'x-stream-offset': 'last' })).toEqual([5]);
    const next = await b.connectTcp({}, 'next');
    expect(await replayThenLive(next, pub, topic2, { 'x-stream-offset': 'next' })).toEqual([]);
  });

  it('x-stream-offset:timestamp=<seconds> replays from that second on', async () => {
    const b = await lmdb();
    const topic = logsTopic();
    const pub = await b.connectTcp({}, 'pub');
    await publishNumbered(pub, topic, 1, 3);
    // Move to the next whole second so the two batches fall in different seconds.
    const boundary = (Math.floor(Date.now() / 1000) + 1) * 1000;
    while (Date.now() < boundary) await new Promise((r) => setTimeout(r, boundary - Date.now()));
    await publishNumbered(pub, topic, 4, 6);
    const sub = await b.connectTcp({}, 'sub');
    expect(
      await replayThenLive(sub, pub, topic, { 'x-stream-offset': `timestamp=${boundary / 1000}` }),
    ).toEqual([4, 5, 6]);
  });

  it('historyMaxAgeMs drops messages older than the limit from the history', async () => {
    const b = await lmdb();
    const topic = `/topic/aged.${uniqueName('a')}`;
    const pub = await b.connectTcp({}, 'pub');
    await publishNumbered(pub, topic, 1, 3);
    const afterOld = Date.now();
    while (Date.now() < afterOld + 450) await new Promise((r) => setTimeout(r, 50));
    await publishNumbered(pub, topic, 4, 4);
    const sub = await b.connectTcp({}, 'sub');
    expect(await replayThenLive(sub, pub, topic, { 'x-stream-offset': 'first' })).toEqual([4]);
  });

  it('the history of persistent messages survives a clean restart; non-persistent history does not', async () => {
    const dataDir = await tempDataDir();
    const topic = logsTopic();
    const b1 = await startLmdbBroker(dataDir, POLICY);
    const pub = await b1.connectTcp({}, 'pub');
    await pub.publish(topic, 'p1', { ...PERSISTENT, seq: '1' });
    await pub.publish(topic, 'n2', { seq: '2' });
    await pub.publish(topic, 'p3', { ...PERSISTENT, seq: '3' });
    await b1.close();
    const b2 = await startLmdbBroker(dataDir, POLICY);
    const pub2 = await b2.connectTcp({}, 'pub after restart');
    await pub2.publish(topic, 'p4', { ...PERSISTENT, seq: '4' });
    const sub = await b2.connectTcp({}, 'sub');
    expect(await replayThenLive(sub, pub2, topic, { 'x-stream-offset': 'first' })).toEqual([
      1, 3, 4,
    ]);
    expect(bodies(sub.history.filter((f) => f.command === 'MESSAGE')).slice(0, 3)).toEqual([
      'p1',
      'p3',
      'p4',
    ]);
  });

  it('hands over from replay to live with no gap and no duplicate while a publisher publishes at full speed', async () => {
    const b = await lmdb();
    const topic = logsTopic();
    const N = 8000;
    const WINDOW = 200;
    const RECEIPT_EVERY = 50;
    const JOIN_AT = [400, 2500, 5000, 7500];
    const subs = await Promise.all(JOIN_AT.map((at) => b.connectTcp({}, `joins at ${at}`)));
    const pub = await b.connectTcp({}, 'pub');
    const receiptFor = (seq: number) => `hist-${seq}`;
    for (let seq = 1; seq <= N; seq++) {
      const headers: Record<string, string> = {
        destination: topic,
        persistent: 'true',
        seq: String(seq),
      };
      if (seq % RECEIPT_EVERY === 0) headers.receipt = receiptFor(seq);
      pub.send('SEND', headers, `m${seq}`);
      const joining = JOIN_AT.indexOf(seq);
      // Join mid-stream without pausing the publisher.
      if (joining >= 0) {
        subs[joining]!.send('SUBSCRIBE', {
          destination: topic,
          id: 'late',
          ack: 'auto',
          'x-history-last': '50',
        });
      }
      const settled = seq - WINDOW;
      if (settled > 0 && settled % RECEIPT_EVERY === 0) {
        await pub.expectReceipt(receiptFor(settled), 20_000);
      }
    }
    for (const [i, s] of subs.entries()) {
      await s.message((f) => seqOf(f) === N, 20_000);
      const got = s.history.filter((f) => f.command === 'MESSAGE');
      const seqs = got.map(seqOf);
      const firstLive = got.findIndex((f) => f.headers['x-history'] !== 'true');
      const replayed = firstLive < 0 ? got.length : firstLive;
      const where = `subscriber joining at ${JOIN_AT[i]}: replayed ${replayed}, seqs ${seqs[0]}..${seqs.at(-1)} (${seqs.length})`;
      expect(replayed, where).toBe(50);
      expect(
        got.slice(replayed).filter((f) => f.headers['x-history'] === 'true'),
        where,
      ).toEqual([]);
      // It joined mid-stream: history before it, live messages after it.
      expect(seqs[0]!, where).toBeGreaterThan(1);
      expect(got.length - replayed, where).toBeGreaterThan(0);
      const gapsOrDups = seqs
        .map((s, k) => (k > 0 && s !== seqs[k - 1]! + 1 ? `${seqs[k - 1]}→${s}` : ''))
        .filter(Boolean);
      expect(gapsOrDups, where).toEqual([]);
      expect(seqs.at(-1), where).toBe(N);
    }
  });
});
