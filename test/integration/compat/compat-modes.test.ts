/**
 * Compat modes (config `compat`, or CONNECT header `x-compat`): what NACK does, and the
 * default prefetch of client-ack subscriptions without prefetch headers.
 */
import { describe, expect, it, vi } from 'vitest';
import type { BrokerContext } from '../../helpers/broker.js';
import {
  bodiesOf,
  browseBodies,
  type CompatConfig,
  drainMessages,
  errorText,
  settle,
  startCompatBroker,
} from '../../helpers/compat.js';
import type { Frame } from '../../helpers/frames.js';
import { type RawStompClient, uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

const nm = (p: string) => uniqueName(p).replaceAll('-', '_');

/** A queue holding one message, and a client-individual consumer on it (CONNECT with `connect`). */
async function oneMessage(
  b: BrokerContext,
  connect: Record<string, string> = {},
  subscribe: Record<string, string> = {},
): Promise<{ name: string; dest: string; c: RawStompClient; first: Frame }> {
  const name = nm('nackq');
  const dest = `/queue/${name}`;
  const pub = await b.connectTcp({}, 'pub');
  await pub.publish(dest, 'poison', { custom: 'kept' });
  const c = await b.connectTcp(connect, 'consumer');
  await c.subscribe(dest, 's', { ack: 'client-individual', ...subscribe });
  const first = await c.message();
  expect(first.bodyText).toBe('poison');
  return { name, dest, c, first };
}

async function dlqBodies(b: BrokerContext, name: string): Promise<Frame[]> {
  const d = await b.connectTcp({}, 'dlq');
  await d.subscribe(`/queue/DLQ.${name}`, 'd');
  const got = await drainMessages(d);
  // Leave, so a later look at the same DLQ is not starved by this idle consumer.
  await d.disconnect();
  return got;
}

describe('NACK in stompede mode (default)', () => {
  it('redelivers until maxRedeliveries, then moves the message to DLQ.<name>', async () => {
    const b = await startCompatBroker({ destinationDefaults: { maxRedeliveries: 2 } });
    const { name, c, first } = await oneMessage(b);
    await settle(c, 'NACK', first);
    const second = await c.message();
    expect(second.headers.redelivered).toBe('true');
    await settle(c, 'NACK', second);
    const third = await c.message();
    await settle(c, 'NACK', third);
    expect(await drainMessages(c)).toEqual([]);
    const dead = await dlqBodies(b, name);
    expect(bodiesOf(dead)).toEqual(['poison']);
    expect(dead[0]!.headers.custom).toBe('kept');
  });

  it('is the mode with compat: stompede set explicitly', async () => {
    const b = await startCompatBroker({
      compat: 'stompede',
      destinationDefaults: { maxRedeliveries: 1 },
    });
    const { name, c, first } = await oneMessage(b);
    await settle(c, 'NACK', first);
    const again = await c.message();
    expect(again.bodyText).toBe('poison');
    expect(again.headers.redelivered).toBe('true');
    expect(await dlqBodies(b, name)).toEqual([]);
    await settle(c, 'NACK', again);
    expect(bodiesOf(await dlqBodies(b, name))).toEqual(['poison']);
  });
});

describe('NACK in activemq mode', () => {
  it('compat: activemq sends a NACKed message to DLQ.<name> at once', async () => {
    const b = await startCompatBroker({ compat: 'activemq' });
    const { name, dest, c, first } = await oneMessage(b);
    await settle(c, 'NACK', first);
    expect(await drainMessages(c)).toEqual([]);
    const dead = await dlqBodies(b, name);
    expect(bodiesOf(dead)).toEqual(['poison']);
    expect(dead[0]!.headers.custom).toBe('kept');
    expect(await browseBodies(b, dest)).toEqual([]);
  });

  it('x-compat:activemq on CONNECT does the same on a default broker', async () => {
    const b = await startCompatBroker();
    const { name, c, first } = await oneMessage(b, { 'x-compat': 'activemq' });
    await settle(c, 'NACK', first);
    expect(await drainMessages(c)).toEqual([]);
    expect(bodiesOf(await dlqBodies(b, name))).toEqual(['poison']);
  });

  it('x-compat applies only to its own connection', async () => {
    const b = await startCompatBroker({ destinationDefaults: { maxRedeliveries: 3 } });
    // Default-mode consumer: NACK redelivers.
    const plain = await oneMessage(b);
    await settle(plain.c, 'NACK', plain.first);
    expect((await plain.c.message()).headers.redelivered).toBe('true');
    expect(await dlqBodies(b, plain.name)).toEqual([]);
    // activemq-mode consumer on the same broker: NACK dead-letters.
    const amq = await oneMessage(b, { 'x-compat': 'activemq' });
    await settle(amq.c, 'NACK', amq.first);
    expect(await drainMessages(amq.c)).toEqual([]);
    expect(bodiesOf(await dlqBodies(b, amq.name))).toEqual(['poison']);
  });
});

describe('NACK in rabbitmq mode', () => {
  it('compat: rabbitmq requeues a NACKed message every time (no redelivery limit, default config)', async () => {
    // Default destinationDefaults.maxRedeliveries is 6: NACK 8 times to go past it.
    const b = await startCompatBroker({ compat: 'rabbitmq' });
    const { name, c, first } = await oneMessage(b);
    let f = first;
    const redeliveries: string[] = [];
    for (let i = 1; i <= 8; i++) {
      await settle(c, 'NACK', f);
      const next = (await drainMessages(c))[0];
      if (next === undefined) break;
      f = next;
      expect(f.bodyText).toBe('poison');
      expect(f.headers.redelivered).toBe('true');
      redeliveries.push(`redelivery ${i}`);
    }
    // Where it went instead, if it was not redelivered eight times.
    expect({ redeliveries, dlq: bodiesOf(await dlqBodies(b, name)) }).toEqual({
      redeliveries: Array.from({ length: 8 }, (_, i) => `redelivery ${i + 1}`),
      dlq: [],
    });
    await settle(c, 'ACK', f);
  });

  it('NACK requeue:false dead-letters to DLQ.<name> when the queue has no DLX', async () => {
    const b = await startCompatBroker({ compat: 'rabbitmq' });
    const { name, dest, c, first } = await oneMessage(b);
    await settle(c, 'NACK', first, { requeue: 'false' });
    expect(await drainMessages(c)).toEqual([]);
    expect(bodiesOf(await dlqBodies(b, name))).toEqual(['poison']);
    expect(await browseBodies(b, dest)).toEqual([]);
  });

  it('NACK requeue:true (explicit) requeues', async () => {
    const b = await startCompatBroker({ compat: 'rabbitmq' });
    const { name, c, first } = await oneMessage(b);
    await settle(c, 'NACK', first, { requeue: 'true' });
    expect((await c.message()).headers.redelivered).toBe('true');
    expect(await dlqBodies(b, name)).toEqual([]);
  });

  it('NACK requeue:false dead-letters through the queue’s DLX (x-dead-letter-exchange)', async () => {
    const ex = nm('work');
    const dlx = nm('dlx');
    const q = nm('WQ');
    const b = await startCompatBroker({
      compat: 'rabbitmq',
      exchanges: [
        { name: ex, type: 'direct' },
        { name: dlx, type: 'fanout' },
      ],
    });
    const dead = await b.connectTcp({}, 'dead');
    await dead.subscribe(`/exchange/${dlx}`, 'dead');
    const c = await b.connectTcp({}, 'consumer');
    await c.subscribe(`/exchange/${ex}/k`, 's', {
      ack: 'client-individual',
      'x-queue-name': q,
      durable: 'true',
      'auto-delete': 'false',
      'x-dead-letter-exchange': dlx,
    });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/${ex}/k`, 'rejected', { custom: 'kept' });
    const f = await c.message();
    await settle(c, 'NACK', f, { requeue: 'false' });
    const got = await dead.message();
    expect(got.bodyText).toBe('rejected');
    expect(got.headers.custom).toBe('kept');
    expect(await drainMessages(c)).toEqual([]);
    expect(await dlqBodies(b, q)).toEqual([]);
  });

  it('x-compat:rabbitmq on CONNECT requeues on an activemq-mode broker', async () => {
    const b = await startCompatBroker({ compat: 'activemq' });
    const { name, c, first } = await oneMessage(b, { 'x-compat': 'rabbitmq' });
    await settle(c, 'NACK', first);
    const again = await c.message();
    expect(again.bodyText).toBe('poison');
    expect(again.headers.redelivered).toBe('true');
    expect(await dlqBodies(b, name)).toEqual([]);
  });
});

describe('choosing a mode', () => {
  it('refuses an unknown compat mode in the config, naming it', async () => {
    // Deliberately outside the typed options: what a JSON config file could say.
    const config = { compat: 'hornetq' } as unknown as CompatConfig;
    await expect(startCompatBroker(config)).rejects.toThrow(/hornetq/);
  });

  it('refuses an unknown x-compat mode on CONNECT with an ERROR naming it', async () => {
    const b = await startCompatBroker();
    const c = await b.tcp('bad-mode');
    c.send('CONNECT', { 'accept-version': '1.2', host: 'localhost', 'x-compat': 'hornetq' });
    const err = await c.expectFrame('ERROR');
    expect(errorText(err)).toContain('hornetq');
    await c.expectClosed();
  });
});

describe('NACK variants', () => {
  it('STOMP 1.1 NACK (message-id + subscription) with requeue:false dead-letters in rabbitmq mode', async () => {
    const b = await startCompatBroker({ compat: 'rabbitmq' });
    const name = nm('v11');
    const dest = `/queue/${name}`;
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'v11-poison');
    const c = await b.connectTcp({ 'accept-version': '1.1' }, 'c11');
    expect(c.version).toBe('1.1');
    await c.subscribe(dest, 's', { ack: 'client-individual' });
    const f = await c.message();
    await c.sendWithReceipt('NACK', {
      'message-id': f.headers['message-id']!,
      subscription: 's',
      requeue: 'false',
    });
    expect(await drainMessages(c)).toEqual([]);
    expect(bodiesOf(await dlqBodies(b, name))).toEqual(['v11-poison']);
  });

  it('activemq mode: a NACK inside a transaction dead-letters only at COMMIT', async () => {
    const b = await startCompatBroker({ compat: 'activemq' });
    const { name, c, first } = await oneMessage(b);
    await c.sendWithReceipt('BEGIN', { transaction: 'tx1' });
    await c.sendWithReceipt('NACK', { id: first.headers.ack!, transaction: 'tx1' });
    expect(await dlqBodies(b, name)).toEqual([]);
    await c.sendWithReceipt('COMMIT', { transaction: 'tx1' });
    expect(bodiesOf(await dlqBodies(b, name))).toEqual(['poison']);
    expect(await drainMessages(c)).toEqual([]);
  });

  it('rabbitmq mode: a NACK inside a transaction requeues at COMMIT; ABORT leaves it unacked', async () => {
    const b = await startCompatBroker({ compat: 'rabbitmq' });
    const { name, c, first } = await oneMessage(b);
    await c.sendWithReceipt('BEGIN', { transaction: 'tx-abort' });
    await c.sendWithReceipt('NACK', { id: first.headers.ack!, transaction: 'tx-abort' });
    await c.sendWithReceipt('ABORT', { transaction: 'tx-abort' });
    expect(await drainMessages(c)).toEqual([]);
    await c.sendWithReceipt('BEGIN', { transaction: 'tx2' });
    await c.sendWithReceipt('NACK', { id: first.headers.ack!, transaction: 'tx2' });
    await c.sendWithReceipt('COMMIT', { transaction: 'tx2' });
    const again = await c.message();
    expect(again.bodyText).toBe('poison');
    expect(again.headers.redelivered).toBe('true');
    expect(await dlqBodies(b, name)).toEqual([]);
  });
});

describe('default prefetch of client-ack subscriptions', () => {
  const TOTAL = 1010;

  async function inFlight(
    b: BrokerContext,
    connect: Record<string, string>,
    ack: 'client' | 'client-individual',
  ): Promise<{ got: number; c: RawStompClient; dest: string }> {
    const dest = `/queue/${nm('prefetch')}`;
    const pub = await b.connectTcp({}, 'pub');
    for (let i = 0; i < TOTAL - 1; i++) pub.send('SEND', { destination: dest }, `m${i}`);
    await pub.publish(dest, `m${TOTAL - 1}`);
    const c = await b.connectTcp(connect, 'consumer');
    await c.subscribe(dest, 's', { ack });
    // Everything the broker is willing to send without an ACK is now on its way:
    // wait until the count stops growing at the expected limit, or everything arrived.
    const deadline = Date.now() + 10_000;
    let last = -1;
    for (;;) {
      const n = (await drainMessages(c)).length + Math.max(last, 0);
      if (n === last || n >= TOTAL || Date.now() > deadline) return { got: n, c, dest };
      last = n;
    }
  }

  for (const [mode, config, connect] of [
    ['stompede (default config)', {}, {}],
    ['activemq (config)', { compat: 'activemq' }, {}],
    ['activemq (x-compat)', {}, { 'x-compat': 'activemq' }],
  ] as const) {
    it(`${mode}: 1000 unacked messages in flight`, async () => {
      const b = await startCompatBroker(config);
      const { got, c } = await inFlight(b, connect, 'client-individual');
      expect(got).toBe(1000);
      await c.disconnect();
    });
  }

  for (const [mode, config, connect] of [
    ['rabbitmq (config)', { compat: 'rabbitmq' }, {}],
    ['rabbitmq (x-compat)', {}, { 'x-compat': 'rabbitmq' }],
  ] as const) {
    it(`${mode}: unlimited (all ${TOTAL} delivered without an ACK)`, async () => {
      const b = await startCompatBroker(config);
      const { got } = await inFlight(b, connect, 'client');
      expect(got).toBe(TOTAL);
    });
  }

  it('rabbitmq: prefetch-count still limits when given', async () => {
    const b = await startCompatBroker({ compat: 'rabbitmq' });
    const dest = `/queue/${nm('pc')}`;
    const pub = await b.connectTcp({}, 'pub');
    for (let i = 0; i < 5; i++) await pub.publish(dest, `m${i}`);
    const c = await b.connectTcp({}, 'c');
    await c.subscribe(dest, 's', { ack: 'client-individual', 'prefetch-count': '2' });
    const got = await c.messages(2);
    expect(await drainMessages(c)).toEqual([]);
    await settle(c, 'ACK', got[0]!);
    expect((await c.message()).bodyText).toBe('m2');
  });
});
