/**
 * Message expiry (`expires`, expiredQueue), priority ordering, and the broker's
 * `timestamp` header.
 */
import { describe, expect, it, vi } from 'vitest';
import type { BrokerOverrides } from '../../helpers/broker.js';
import {
  bodies,
  drainUntilSentinel,
  PERSISTENT,
  startLmdbBroker,
  tempDataDir,
} from '../../helpers/persistence.js';
import { uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

async function lmdb(overrides: BrokerOverrides = {}) {
  return startLmdbBroker(await tempDataDir(), overrides);
}

/** Wait until the wall clock has passed `t` (expiry is about time, so this one waits). */
async function clockPast(t: number): Promise<void> {
  while (Date.now() <= t) await new Promise((r) => setTimeout(r, Math.max(1, t - Date.now() + 1)));
}

describe('expiry', () => {
  it('never delivers an expired message (expired on arrival, or while queued)', async () => {
    const b = await lmdb();
    const dest = `/queue/${uniqueName('exp')}`;
    const pub = await b.connectTcp({}, 'pub');
    const soon = Date.now() + 300;
    await pub.publish(dest, 'already-expired', {
      ...PERSISTENT,
      expires: String(Date.now() - 1000),
    });
    await pub.publish(dest, 'keeps', { ...PERSISTENT, expires: String(Date.now() + 60_000) });
    await pub.publish(dest, 'expires-while-queued', { ...PERSISTENT, expires: String(soon) });
    await pub.publish(dest, 'non-persistent-expired', { expires: String(Date.now() - 1) });
    await pub.publish(dest, 'no-expiry', { ...PERSISTENT, expires: '0' });
    await clockPast(soon + 20);
    const c = await b.connectTcp({}, 'consumer');
    await c.subscribe(dest, 's', { ack: 'client-individual' });
    expect(bodies(await drainUntilSentinel(c, pub, dest))).toEqual(['keeps', 'no-expiry']);
  });

  it('an expired message that was NACKed is not redelivered', async () => {
    const b = await lmdb();
    const dest = `/queue/${uniqueName('expnack')}`;
    const pub = await b.connectTcp({}, 'pub');
    const soon = Date.now() + 400;
    await pub.publish(dest, 'short-lived', { ...PERSISTENT, expires: String(soon) });
    const c = await b.connectTcp({}, 'consumer');
    await c.subscribe(dest, 's', { ack: 'client-individual' });
    const f = await c.message();
    await clockPast(soon + 20);
    c.send('NACK', { id: f.headers.ack!, receipt: 'nack' });
    await c.expectReceipt('nack');
    expect(bodies(await drainUntilSentinel(c, pub, dest))).toEqual([]);
  });

  it('moves expired messages to the configured expiredQueue with x-dead-letter-reason:expired', async () => {
    const b = await lmdb({
      destinations: [{ match: '/queue/exq.>', expiredQueue: 'Expired.{name}' }],
    });
    const name = `exq.${uniqueName('e')}`;
    const dest = `/queue/${name}`;
    const expiredDest = `/queue/Expired.${name}`;
    const exp = await b.connectTcp({}, 'expired reader');
    await exp.subscribe(expiredDest, 'x', { ack: 'auto' });
    const pub = await b.connectTcp({}, 'pub');
    const soon = Date.now() + 300;
    await pub.publish(dest, 'gone-on-arrival', {
      ...PERSISTENT,
      expires: String(Date.now() - 1000),
      custom: 'c1',
    });
    await pub.publish(dest, 'gone-while-queued', { ...PERSISTENT, expires: String(soon) });
    await clockPast(soon + 20);
    // A consumer makes the queue dispatch (and find the expired messages).
    const c = await b.connectTcp({}, 'consumer');
    await c.subscribe(dest, 's', { ack: 'auto' });
    const moved = await exp.messages(2, undefined, 5000);
    expect(bodies(moved).sort()).toEqual(['gone-on-arrival', 'gone-while-queued']);
    for (const f of moved) {
      expect(f.headers.destination).toBe(expiredDest);
      expect(f.headers['x-dead-letter-reason']).toBe('expired');
      expect(f.headers['x-original-destination']).toBe(dest);
    }
    expect(moved.find((f) => f.bodyText === 'gone-on-arrival')!.headers.custom).toBe('c1');
    expect(await drainUntilSentinel(c, pub, dest)).toEqual([]);
  });
});

describe('priority', () => {
  const PUBLISHED: Array<[string, string | undefined]> = [
    ['a1', '4'],
    ['b1', '9'],
    ['c1', '0'],
    ['b2', '9'],
    ['a2', '4'],
    ['d1', undefined], // default priority 4
    ['c2', '0'],
    ['e1', '7'],
    ['a3', '4'],
  ];
  const EXPECTED = ['b1', 'b2', 'e1', 'a1', 'a2', 'd1', 'a3', 'c1', 'c2'];

  it('delivers messages queued before a consumer arrives highest priority first, FIFO within a priority', async () => {
    const b = await lmdb();
    const dest = `/queue/${uniqueName('prio')}`;
    const pub = await b.connectTcp({}, 'pub');
    for (const [body, priority] of PUBLISHED) {
      await pub.publish(
        dest,
        body,
        priority === undefined ? { ...PERSISTENT } : { ...PERSISTENT, priority },
      );
    }
    const c = await b.connectTcp({}, 'consumer');
    await c.subscribe(dest, 's', { ack: 'client-individual' });
    const got = await c.messages(EXPECTED.length);
    expect(bodies(got)).toEqual(EXPECTED);
  });

  it('keeps the priority order across a clean restart', async () => {
    const dataDir = await tempDataDir();
    const dest = `/queue/${uniqueName('prio-restart')}`;
    const b1 = await startLmdbBroker(dataDir);
    const pub = await b1.connectTcp({}, 'pub');
    for (const [body, priority] of PUBLISHED) {
      await pub.publish(
        dest,
        body,
        priority === undefined ? { ...PERSISTENT } : { ...PERSISTENT, priority },
      );
    }
    await b1.close();
    const b2 = await startLmdbBroker(dataDir);
    const c = await b2.connectTcp({}, 'consumer');
    await c.subscribe(dest, 's', { ack: 'client-individual' });
    const got = await c.messages(EXPECTED.length);
    expect(bodies(got)).toEqual(EXPECTED);
    expect(got.map((f) => f.headers.priority ?? '4')).toEqual(
      EXPECTED.map((body) => PUBLISHED.find(([b]) => b === body)![1] ?? '4'),
    );
  });
});

describe('timestamp header', () => {
  it('stamps every MESSAGE with the broker time of publication (ms since the epoch)', async () => {
    const b = await lmdb();
    const queue = `/queue/${uniqueName('ts')}`;
    const topic = `/topic/${uniqueName('ts')}`;
    const c = await b.connectTcp({}, 'consumer');
    await c.subscribe(topic, 't', { ack: 'auto' });
    const pub = await b.connectTcp({}, 'pub');
    const before = Date.now();
    await pub.publish(queue, 'q', { ...PERSISTENT });
    await pub.publish(topic, 't', {});
    const after = Date.now();
    await c.subscribe(queue, 'q', { ack: 'auto' });
    const got = await c.messages(2);
    for (const f of got) {
      expect(f.headers.timestamp).toMatch(/^\d+$/);
      const ts = Number(f.headers.timestamp);
      expect(ts).toBeGreaterThanOrEqual(before);
      expect(ts).toBeLessThanOrEqual(after);
    }
  });
});
