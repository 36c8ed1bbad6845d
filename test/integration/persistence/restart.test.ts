/**
 * Clean restarts of an in-process LMDB broker on the same data directory.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Frame } from '../../helpers/frames.js';
import {
  ackWithReceipt,
  bodies,
  dirUsage,
  drainUntilSentinel,
  PERSISTENT,
  sendAck,
  startLmdbBroker,
  tempDataDir,
} from '../../helpers/persistence.js';
import { uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });

/** `body:true:<redelivery-count>` for redelivered messages, `body:-` for first deliveries. */
const flags = (fs: Frame[]) =>
  fs.map((f) =>
    f.headers.redelivered === 'true'
      ? `${f.bodyText}:true:${f.headers['redelivery-count'] ?? '?'}`
      : `${f.bodyText}:-`,
  );

describe('clean restart (LMDB store)', () => {
  it('keeps unacked persistent messages in order, flags exactly the previously delivered ones, and never brings back ACKed ones', async () => {
    const dataDir = await tempDataDir();
    const dest = `/queue/${uniqueName('restart')}`;
    const b1 = await startLmdbBroker(dataDir);
    const pub = await b1.connectTcp({}, 'pub');
    for (let i = 1; i <= 10; i++) await pub.publish(dest, `m${i}`, { ...PERSISTENT });

    const c = await b1.connectTcp({}, 'consumer');
    await c.subscribe(dest, 's', { ack: 'client-individual', 'activemq.prefetchSize': '5' });
    const firstFive = await c.messages(5);
    expect(bodies(firstFive)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(flags(firstFive)).toEqual(['m1:-', 'm2:-', 'm3:-', 'm4:-', 'm5:-']);
    await ackWithReceipt(c, firstFive[0]!); // m1
    await ackWithReceipt(c, firstFive[2]!); // m3
    // Two prefetch slots freed: m6 and m7 are delivered too.
    expect(bodies(await c.messages(2))).toEqual(['m6', 'm7']);
    await c.expectNoMessage();

    // Clean shutdown with m2, m4..m7 in flight (delivered once) and m8..m10 never delivered.
    await b1.close();
    await c.expectClosed();

    const b2 = await startLmdbBroker(dataDir);
    const c2 = await b2.connectTcp({}, 'consumer after restart');
    await c2.subscribe(dest, 's2', { ack: 'client-individual' });
    const pub2 = await b2.connectTcp({}, 'pub after restart');
    const back = await drainUntilSentinel(c2, pub2, dest);
    expect(flags(back)).toEqual([
      'm2:true:1',
      'm4:true:1',
      'm5:true:1',
      'm6:true:1',
      'm7:true:1',
      'm8:-',
      'm9:-',
      'm10:-',
    ]);
  });

  it('flags messages returned by a disconnected consumer as redelivered after a restart too', async () => {
    const dataDir = await tempDataDir();
    const dest = `/queue/${uniqueName('returned')}`;
    const b1 = await startLmdbBroker(dataDir);
    const pub = await b1.connectTcp({}, 'pub');
    for (let i = 1; i <= 4; i++) await pub.publish(dest, `m${i}`, { ...PERSISTENT });
    const c = await b1.connectTcp({}, 'consumer');
    await c.subscribe(dest, 's', { ack: 'client-individual', 'activemq.prefetchSize': '2' });
    expect(bodies(await c.messages(2))).toEqual(['m1', 'm2']);
    await c.disconnect(); // m1, m2 go back to the queue: one failed delivery each
    await b1.close();

    const b2 = await startLmdbBroker(dataDir);
    const c2 = await b2.connectTcp({}, 'consumer after restart');
    await c2.subscribe(dest, 's2', { ack: 'auto' });
    const pub2 = await b2.connectTcp({}, 'pub after restart');
    const back = await drainUntilSentinel(c2, pub2, dest);
    expect(flags(back)).toEqual(['m1:true:1', 'm2:true:1', 'm3:-', 'm4:-']);
  });

  it('writes only the delivery counts that changed at a clean stop', async () => {
    const dataDir = await tempDataDir();
    const dest = `/queue/${uniqueName('changed-counts')}`;
    const b1 = await startLmdbBroker(dataDir);
    const pub = await b1.connectTcp({}, 'pub');
    for (let i = 1; i <= 4; i++) await pub.publish(dest, `m${i}`, { ...PERSISTENT });
    const c1 = await b1.connectTcp({}, 'consumer 1');
    await c1.subscribe(dest, 's', { ack: 'client-individual', 'activemq.prefetchSize': '2' });
    expect(bodies(await c1.messages(2))).toEqual(['m1', 'm2']);
    await c1.disconnect(); // m1 and m2: one failed delivery each
    await b1.close();

    // Second run: only m1 is handed out again; m2 keeps the count the store already holds.
    const b2 = await startLmdbBroker(dataDir);
    const c2 = await b2.connectTcp({}, 'consumer 2');
    await c2.subscribe(dest, 's', { ack: 'client-individual', 'activemq.prefetchSize': '1' });
    expect(flags(await c2.messages(1))).toEqual(['m1:true:1']);
    await c2.disconnect();
    const store = b2.broker.broker.store;
    const writesBefore = store.stats().writes;
    await b2.close();
    // One delivery count written on the way out: m1's (now 2).
    expect(store.stats().writes - writesBefore).toBe(1);

    const b3 = await startLmdbBroker(dataDir);
    const c3 = await b3.connectTcp({}, 'consumer 3');
    await c3.subscribe(dest, 's3', { ack: 'auto' });
    const pub3 = await b3.connectTcp({}, 'pub after restart');
    expect(flags(await drainUntilSentinel(c3, pub3, dest))).toEqual([
      'm1:true:2',
      'm2:true:1',
      'm3:-',
      'm4:-',
    ]);
  });

  it('keeps a delivery count recorded by an earlier run when a later run does not deliver the message', async () => {
    const dataDir = await tempDataDir();
    const dest = `/queue/${uniqueName('kept-counts')}`;
    const b1 = await startLmdbBroker(dataDir);
    const pub = await b1.connectTcp({}, 'pub');
    for (let i = 1; i <= 3; i++) await pub.publish(dest, `m${i}`, { ...PERSISTENT });
    const c1 = await b1.connectTcp({}, 'consumer 1');
    await c1.subscribe(dest, 's', { ack: 'client-individual', 'activemq.prefetchSize': '2' });
    expect(bodies(await c1.messages(2))).toEqual(['m1', 'm2']);
    await c1.disconnect();
    await b1.close();

    // A run that delivers nothing writes nothing on its clean stop.
    const b2 = await startLmdbBroker(dataDir);
    const store = b2.broker.broker.store;
    const writesBefore = store.stats().writes;
    await b2.close();
    expect(store.stats().writes - writesBefore).toBe(0);

    const b3 = await startLmdbBroker(dataDir);
    const c3 = await b3.connectTcp({}, 'consumer 3');
    await c3.subscribe(dest, 's3', { ack: 'auto' });
    const pub3 = await b3.connectTcp({}, 'pub after restart');
    expect(flags(await drainUntilSentinel(c3, pub3, dest))).toEqual([
      'm1:true:1',
      'm2:true:1',
      'm3:-',
    ]);
  });

  it('loses non-persistent messages and keeps persistent ones, in order', async () => {
    const dataDir = await tempDataDir();
    const dest = `/queue/${uniqueName('mixed')}`;
    const b1 = await startLmdbBroker(dataDir);
    const pub = await b1.connectTcp({}, 'pub');
    for (let i = 1; i <= 10; i++) {
      await pub.publish(
        dest,
        `${i % 2 === 0 ? 'p' : 'n'}${i}`,
        i % 2 === 0 ? { ...PERSISTENT } : {},
      );
    }
    // Explicit persistent:false is non-persistent too.
    await pub.publish(dest, 'n11', { persistent: 'false' });
    await b1.close();

    const b2 = await startLmdbBroker(dataDir);
    const c = await b2.connectTcp({}, 'consumer');
    await c.subscribe(dest, 's', { ack: 'auto' });
    const pub2 = await b2.connectTcp({}, 'pub after restart');
    const back = await drainUntilSentinel(c, pub2, dest);
    expect(bodies(back)).toEqual(['p2', 'p4', 'p6', 'p8', 'p10']);
    expect(back.filter((f) => f.headers.redelivered === 'true')).toEqual([]);
  });

  it('ACKed messages (client and client-individual) never come back, across two restarts', async () => {
    const dataDir = await tempDataDir();
    const q1 = `/queue/${uniqueName('ackci')}`;
    const q2 = `/queue/${uniqueName('ackclient')}`;
    const b1 = await startLmdbBroker(dataDir);
    const pub = await b1.connectTcp({}, 'pub');
    for (let i = 1; i <= 6; i++) {
      await pub.publish(q1, `a${i}`, { ...PERSISTENT });
      await pub.publish(q2, `b${i}`, { ...PERSISTENT });
    }
    const c = await b1.connectTcp({}, 'consumer');
    await c.subscribe(q1, 'ci', { ack: 'client-individual' });
    const a = await c.messages(6, (f) => f.headers.subscription === 'ci');
    for (const f of a.slice(0, 3)) await ackWithReceipt(c, f); // a1..a3
    await c.subscribe(q2, 'cl', { ack: 'client' });
    const b = await c.messages(6, (f) => f.headers.subscription === 'cl');
    await ackWithReceipt(c, b[3]!); // cumulative: b1..b4
    await b1.close();

    for (const round of [1, 2]) {
      const b2 = await startLmdbBroker(dataDir);
      const ca = await b2.connectTcp({}, `q1 consumer after restart ${round}`);
      await ca.subscribe(q1, 'ci', { ack: 'client-individual' });
      const cb = await b2.connectTcp({}, `q2 consumer after restart ${round}`);
      await cb.subscribe(q2, 'cl', { ack: 'client-individual' });
      const pub2 = await b2.connectTcp({}, 'pub after restart');
      const backA = await drainUntilSentinel(ca, pub2, q1);
      expect(bodies(backA)).toEqual(['a4', 'a5', 'a6']);
      const backB = await drainUntilSentinel(cb, pub2, q2);
      expect(bodies(backB)).toEqual(['b5', 'b6']);
      // The sentinels were delivered but not ACKed: ACK them so the next round is clean.
      for (const c of [ca, cb]) {
        const sentinels = c.history.filter((f) => f.command === 'MESSAGE' && f.headers.sentinel);
        for (const s of sentinels) await ackWithReceipt(c, s);
      }
      await b2.close();
    }
  });

  it('counts deliveries before a restart toward maxRedeliveries', async () => {
    const dataDir = await tempDataDir();
    const name = `rd.${uniqueName('count')}`;
    const dest = `/queue/${name}`;
    const policy = { destinations: [{ match: '/queue/rd.>', maxRedeliveries: 2 }] };
    const b1 = await startLmdbBroker(dataDir, policy);
    const pub = await b1.connectTcp({}, 'pub');
    await pub.publish(dest, 'poison', { ...PERSISTENT });
    const c = await b1.connectTcp({}, 'consumer');
    await c.subscribe(dest, 's', { ack: 'client-individual' });
    const m1 = await c.message();
    c.send('NACK', { id: m1.headers.ack!, receipt: 'n1' });
    await c.expectReceipt('n1');
    const m2 = await c.message();
    expect(m2.headers['redelivery-count']).toBe('1');
    // Delivery #2 is in flight when the broker stops.
    await b1.close();

    const b2 = await startLmdbBroker(dataDir, policy);
    const c2 = await b2.connectTcp({}, 'consumer after restart');
    await c2.subscribe(dest, 's', { ack: 'client-individual' });
    const m3 = await c2.message();
    expect(m3.bodyText).toBe('poison');
    expect(m3.headers.redelivered).toBe('true');
    expect(m3.headers['redelivery-count']).toBe('2');
    c2.send('NACK', { id: m3.headers.ack!, receipt: 'n3' });
    await c2.expectReceipt('n3');
    const dlq = await b2.connectTcp({}, 'dlq reader');
    await dlq.subscribe(`/queue/DLQ.${name}`, 'd', { ack: 'auto' });
    const dead = await dlq.message();
    expect(dead.bodyText).toBe('poison');
    expect(dead.headers['x-delivery-count']).toBe('3');
    expect(dead.headers['x-dead-letter-reason']).toBe('max-redeliveries');
  });

  it('keeps a durable subscription and the persistent messages published while it is away across a restart', async () => {
    const dataDir = await tempDataDir();
    const topic = `/topic/${uniqueName('durable-restart')}`;
    const clientId = uniqueName('cid');
    const b1 = await startLmdbBroker(dataDir);
    const sub = await b1.connectTcp({ 'client-id': clientId }, 'durable subscriber');
    await sub.subscribe(topic, 'x', { 'activemq.subscriptionName': 'S' });
    await sub.disconnect();
    const pub = await b1.connectTcp({}, 'pub');
    await pub.publish(topic, 'p1', { ...PERSISTENT });
    await pub.publish(topic, 'n1', {});
    await pub.publish(topic, 'p2', { ...PERSISTENT });
    await b1.close();

    const b2 = await startLmdbBroker(dataDir);
    const pub2 = await b2.connectTcp({}, 'pub after restart');
    await pub2.publish(topic, 'p3', { ...PERSISTENT }); // still away, after the restart
    const back = await b2.connectTcp({ 'client-id': clientId }, 'durable subscriber again');
    await back.subscribe(topic, 'y', { 'activemq.subscriptionName': 'S' });
    const got = await drainUntilSentinel(back, pub2, topic);
    expect(bodies(got)).toEqual(['p1', 'p2', 'p3']);
  });

  it('reuses the data directory: 20k persistent 1 KiB messages sent and ACKed in rounds do not grow the files', async () => {
    const dataDir = await tempDataDir();
    const dest = `/queue/${uniqueName('reuse')}`;
    const ROUNDS = 10;
    const PER_ROUND = 2000;
    const body = Buffer.alloc(1024, 'x');
    const skipPidFile = (name: string) => name === 'stompede.pid';
    const sizes: Array<{ apparent: number; allocated: number }> = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const b = await startLmdbBroker(dataDir);
      const c = await b.connectTcp({}, `consumer round ${round}`);
      await c.subscribe(dest, 's', { ack: 'client-individual' });
      const consumed = (async () => {
        for (let i = 1; i <= PER_ROUND; i++) {
          const f = await c.message(undefined, 20_000);
          if (i === PER_ROUND) await ackWithReceipt(c, f);
          else sendAck(c, f);
          // Drop the frame bodies we no longer need.
          c.history.length = 0;
        }
      })();
      const pub = await b.connectTcp({}, `pub round ${round}`);
      for (let i = 1; i <= PER_ROUND; i++) {
        const last = i % 200 === 0;
        const headers: Record<string, string> = { destination: dest, persistent: 'true' };
        if (last) headers.receipt = `reuse-${round}-${i}`;
        pub.send('SEND', headers, body);
        if (last) await pub.expectReceipt(`reuse-${round}-${i}`, 20_000);
      }
      pub.history.length = 0;
      await consumed;
      await b.close();
      const usage = await dirUsage(dataDir, skipPidFile);
      expect(usage.files.length).toBeGreaterThan(0);
      sizes.push({ apparent: usage.apparent, allocated: usage.allocated });
    }
    const third = sizes[2]!;
    const last = sizes.at(-1)!;
    const report = JSON.stringify(sizes);
    expect(last.apparent, `apparent sizes per round: ${report}`).toBeLessThanOrEqual(
      third.apparent * 1.5,
    );
    expect(last.allocated, `allocated sizes per round: ${report}`).toBeLessThanOrEqual(
      third.allocated * 1.5,
    );
  });
});
