/**
 * Redelivery policy: maxRedeliveries → dead-letter queue (with its headers),
 * deadLetterQueue '' (drop), unlimited (-1), and redelivery delay with backoff.
 */
import { describe, expect, it, vi } from 'vitest';
import type { BrokerOverrides } from '../../helpers/broker.js';
import type { Frame } from '../../helpers/frames.js';
import {
  drainUntilSentinel,
  nackWithReceipt,
  PERSISTENT,
  startLmdbBroker,
  tempDataDir,
} from '../../helpers/persistence.js';
import { type RawStompClient, uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

async function lmdb(overrides: BrokerOverrides = {}) {
  return startLmdbBroker(await tempDataDir(), overrides);
}

/** Receive the message and NACK it (with a receipt) `times` times; returns the deliveries. */
async function nackRepeatedly(c: RawStompClient, times: number): Promise<Frame[]> {
  const seen: Frame[] = [];
  for (let i = 0; i < times; i++) {
    const f = await c.message();
    seen.push(f);
    await nackWithReceipt(c, f);
  }
  return seen;
}

function expectDeadLetter(
  dead: Frame,
  original: Frame,
  queueName: string,
  deliveries: number,
  failure: 'nack' | 'consumer-closed',
): void {
  expect(dead.bodyText).toBe(original.bodyText);
  expect(dead.headers['message-id']).toBe(original.headers['message-id']);
  expect(dead.headers.destination).toBe(`/queue/DLQ.${queueName}`);
  expect(dead.headers['x-original-destination']).toBe(`/queue/${queueName}`);
  expect(dead.headers['x-dead-letter-reason']).toBe('max-redeliveries');
  expect(dead.headers['x-delivery-count']).toBe(String(deliveries));
  expect(dead.headers['x-last-failure']).toBe(failure);
}

describe('redelivery and dead-letter queues', () => {
  it('moves a message to DLQ.<name> when delivery maxRedeliveries+1 is NACKed', async () => {
    const b = await lmdb({ destinations: [{ match: '/queue/rd.>', maxRedeliveries: 2 }] });
    const name = `rd.${uniqueName('nack')}`;
    const dest = `/queue/${name}`;
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'poison', { ...PERSISTENT, custom: 'kept' });
    const c = await b.connectTcp({}, 'consumer');
    await c.subscribe(dest, 's', { ack: 'client-individual' });
    const deliveries = await nackRepeatedly(c, 3);
    expect(deliveries.map((f) => f.headers.redelivered === 'true')).toEqual([false, true, true]);
    expect(deliveries.slice(1).map((f) => f.headers['redelivery-count'])).toEqual(['1', '2']);
    const ids = new Set(deliveries.map((f) => f.headers['message-id']));
    expect(ids.size).toBe(1);

    // Not offered again on the original queue: the next thing there is the sentinel.
    expect(await drainUntilSentinel(c, pub, dest)).toEqual([]);
    const dlq = await b.connectTcp({}, 'dlq');
    await dlq.subscribe(`/queue/DLQ.${name}`, 'd', { ack: 'auto' });
    const dead = await dlq.message();
    expectDeadLetter(dead, deliveries[0]!, name, 3, 'nack');
    expect(dead.headers.custom).toBe('kept');
  });

  it('uses the default maxRedeliveries of 6 (the 7th failed delivery dead-letters)', async () => {
    const b = await lmdb();
    const name = uniqueName('default6');
    const dest = `/queue/${name}`;
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'poison', { ...PERSISTENT });
    const c = await b.connectTcp({}, 'consumer');
    await c.subscribe(dest, 's', { ack: 'client-individual' });
    const deliveries = await nackRepeatedly(c, 7);
    expect(deliveries.at(-1)!.headers['redelivery-count']).toBe('6');
    expect(await drainUntilSentinel(c, pub, dest)).toEqual([]);
    const dlq = await b.connectTcp({}, 'dlq');
    await dlq.subscribe(`/queue/DLQ.${name}`, 'd', { ack: 'auto' });
    expectDeadLetter(await dlq.message(), deliveries[0]!, name, 7, 'nack');
  });

  it('counts a consumer that disconnects with the message unacked as a failed delivery (x-last-failure:consumer-closed)', async () => {
    const b = await lmdb({ destinations: [{ match: '/queue/cc.>', maxRedeliveries: 1 }] });
    const name = `cc.${uniqueName('closed')}`;
    const dest = `/queue/${name}`;
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'abandoned', { ...PERSISTENT });
    const dlq = await b.connectTcp({}, 'dlq');
    await dlq.subscribe(`/queue/DLQ.${name}`, 'd', { ack: 'auto' });

    const c1 = await b.connectTcp({}, 'consumer 1');
    await c1.subscribe(dest, 's', { ack: 'client-individual' });
    const first = await c1.message();
    c1.destroy(); // abrupt: no DISCONNECT
    const c2 = await b.connectTcp({}, 'consumer 2');
    await c2.subscribe(dest, 's', { ack: 'client' });
    const second = await c2.message();
    expect(second.headers.redelivered).toBe('true');
    await c2.disconnect(); // clean DISCONNECT with the message unacked: a failure too

    expectDeadLetter(await dlq.message(), first, name, 2, 'consumer-closed');
    const c3 = await b.connectTcp({}, 'consumer 3');
    await c3.subscribe(dest, 's', { ack: 'auto' });
    expect(await drainUntilSentinel(c3, pub, dest)).toEqual([]);
  });

  it("drops the message past maxRedeliveries when deadLetterQueue is ''", async () => {
    const b = await lmdb({
      destinations: [{ match: '/queue/drop.>', maxRedeliveries: 0, deadLetterQueue: '' }],
    });
    const name = `drop.${uniqueName('x')}`;
    const dest = `/queue/${name}`;
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'dropped', { ...PERSISTENT });
    const c = await b.connectTcp({}, 'consumer');
    await c.subscribe(dest, 's', { ack: 'client-individual' });
    await nackRepeatedly(c, 1);
    expect(await drainUntilSentinel(c, pub, dest)).toEqual([]);
    const dlq = await b.connectTcp({}, 'dlq');
    await dlq.subscribe(`/queue/DLQ.${name}`, 'd', { ack: 'auto' });
    expect(await drainUntilSentinel(dlq, pub, `/queue/DLQ.${name}`)).toEqual([]);
  });

  it('keeps redelivering with maxRedeliveries -1 (unlimited)', async () => {
    const b = await lmdb({ destinationDefaults: { maxRedeliveries: -1 } });
    const name = uniqueName('forever');
    const dest = `/queue/${name}`;
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'again', { ...PERSISTENT });
    const c = await b.connectTcp({}, 'consumer');
    await c.subscribe(dest, 's', { ack: 'client-individual' });
    await nackRepeatedly(c, 10);
    const eleventh = await c.message();
    expect(eleventh.bodyText).toBe('again');
    expect(eleventh.headers['redelivery-count']).toBe('10');
  });

  it('sends dead letters of a queue to its own configured template', async () => {
    const b = await lmdb({
      destinations: [
        { match: '/queue/tpl.>', maxRedeliveries: 0, deadLetterQueue: 'Dead.{name}.x' },
      ],
    });
    const name = `tpl.${uniqueName('t')}`;
    const dest = `/queue/${name}`;
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'to-template', { ...PERSISTENT });
    const c = await b.connectTcp({}, 'consumer');
    await c.subscribe(dest, 's', { ack: 'client-individual' });
    const [first] = await nackRepeatedly(c, 1);
    const dlq = await b.connectTcp({}, 'dlq');
    await dlq.subscribe(`/queue/Dead.${name}.x`, 'd', { ack: 'auto' });
    const dead = await dlq.message();
    expect(dead.bodyText).toBe('to-template');
    expect(dead.headers['message-id']).toBe(first!.headers['message-id']);
    expect(dead.headers['x-original-destination']).toBe(dest);
    expect(dead.headers['x-dead-letter-reason']).toBe('max-redeliveries');
  });

  it('does not offer a NACKed message again before redeliveryDelayMs, with the backoff multiplier and the ceiling applied', async () => {
    const DELAY = 300;
    const b = await lmdb({
      destinations: [
        {
          match: '/queue/delay.>',
          redeliveryDelayMs: DELAY,
          redeliveryBackoffMultiplier: 2,
          maxRedeliveryDelayMs: 1000,
        },
      ],
    });
    const dest = `/queue/delay.${uniqueName('d')}`;
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'slow', { ...PERSISTENT });
    const c = await b.connectTcp({}, 'consumer');
    await c.subscribe(dest, 's', { ack: 'client-individual' });
    let f = await c.message();
    // Expected waits: 300, 600, then 1200 capped to 1000.
    const expected = [DELAY, 2 * DELAY, 1000];
    const waits: number[] = [];
    for (const min of expected) {
      const t0 = Date.now();
      c.send('NACK', { id: f.headers.ack! });
      f = await c.message(undefined, min + 5000);
      waits.push(Date.now() - t0);
    }
    // Never early (a few ms of timer/clock slack), and not absurdly late.
    for (const [i, min] of expected.entries()) {
      expect(waits[i]!, `waits ${JSON.stringify(waits)}`).toBeGreaterThanOrEqual(min - 15);
    }
    expect(waits[2]!, `the ceiling applies: waits ${JSON.stringify(waits)}`).toBeLessThan(2400);
  });

  it('does not offer a NACKed message to another consumer before the delay either', async () => {
    const DELAY = 800;
    const b = await lmdb({
      destinations: [{ match: '/queue/delay2.>', redeliveryDelayMs: DELAY }],
    });
    const dest = `/queue/delay2.${uniqueName('d')}`;
    const a = await b.connectTcp({}, 'consumer A');
    await a.subscribe(dest, 'a', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'only', { ...PERSISTENT });
    const first = await a.message();
    const other = await b.connectTcp({}, 'consumer B');
    await other.subscribe(dest, 'b', { ack: 'client-individual' });
    const t0 = Date.now();
    a.send('NACK', { id: first.headers.ack! });
    const again = await Promise.race([
      a.message(undefined, DELAY + 5000),
      other.message(undefined, DELAY + 5000),
    ]);
    const waited = Date.now() - t0;
    expect(again.bodyText).toBe('only');
    expect(again.headers.redelivered).toBe('true');
    expect(waited).toBeGreaterThanOrEqual(DELAY - 15);
  });
});
