import { describe, expect, it, vi } from 'vitest';
import { startBroker } from '../helpers/broker.js';
import type { Frame } from '../helpers/frames.js';
import type { RawStompClient } from '../helpers/raw-client.js';
import { uniqueName } from '../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

const bodies = (fs: Frame[]) => fs.map((f) => f.bodyText);

async function fill(pub: RawStompClient, dest: string, items: string[]): Promise<void> {
  for (const body of items.slice(0, -1)) pub.send('SEND', { destination: dest }, body);
  await pub.publish(dest, items.at(-1)!);
}

describe('ack modes', () => {
  it('adds a unique ack header to MESSAGE frames for client-individual subscriptions (1.2)', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('ackhdr')}`;
    const c = await b.connectTcp();
    await c.subscribe(dest, 's', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await fill(pub, dest, ['a', 'b']);
    const [m1, m2] = await c.messages(2);
    expect(m1!.headers.ack).toBeTruthy();
    expect(m2!.headers.ack).toBeTruthy();
    expect(m1!.headers.ack).not.toBe(m2!.headers.ack);
  });

  it('adds an ack header to MESSAGE frames for client subscriptions (1.2)', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('ackhdr2')}`;
    const c = await b.connectTcp();
    await c.subscribe(dest, 's', { ack: 'client' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'a');
    expect((await c.message()).headers.ack).toBeTruthy();
  });

  it('does not redeliver messages consumed with ack:auto after the consumer disconnects', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('auto')}`;
    const a = await b.connectTcp({}, 'A');
    await a.subscribe(dest, 'a', { ack: 'auto' });
    const pub = await b.connectTcp({}, 'pub');
    await fill(pub, dest, ['1', '2', '3']);
    await a.messages(3);
    await a.disconnect();
    const c = await b.connectTcp({}, 'B');
    await c.subscribe(dest, 'b');
    await c.expectNoMessage();
  });

  it('client-individual: ACK acknowledges only that message; the others are redelivered with redelivered:true in order when the consumer disconnects', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('ci')}`;
    const a = await b.connectTcp({}, 'A');
    await a.subscribe(dest, 'a', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await fill(pub, dest, ['m1', 'm2', 'm3']);
    const got = await a.messages(3);
    expect(bodies(got)).toEqual(['m1', 'm2', 'm3']);
    await a.sendWithReceipt('ACK', { id: got[1]!.headers.ack! });
    await a.disconnect();
    const c = await b.connectTcp({}, 'B');
    await c.subscribe(dest, 'b');
    const re = await c.messages(2);
    expect(bodies(re)).toEqual(['m1', 'm3']);
    for (const m of re) {
      expect(m.headers.redelivered).toBe('true');
      expect(m.headers.subscription).toBe('b');
    }
    await c.expectNoMessage();
  });

  it('client: ACK is cumulative and acknowledges all earlier unacked messages of the subscription', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('cum')}`;
    const a = await b.connectTcp({}, 'A');
    await a.subscribe(dest, 'a', { ack: 'client' });
    const pub = await b.connectTcp({}, 'pub');
    await fill(pub, dest, ['m1', 'm2', 'm3', 'm4']);
    const got = await a.messages(4);
    await a.sendWithReceipt('ACK', { id: got[1]!.headers.ack! });
    await a.disconnect();
    const c = await b.connectTcp({}, 'B');
    await c.subscribe(dest, 'b');
    const re = await c.messages(2);
    expect(bodies(re)).toEqual(['m3', 'm4']);
    expect(re.every((m) => m.headers.redelivered === 'true')).toBe(true);
    await c.expectNoMessage();
  });

  it('client-individual: messages that were all acked are not redelivered', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('allacked')}`;
    const a = await b.connectTcp({}, 'A');
    await a.subscribe(dest, 'a', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await fill(pub, dest, ['m1', 'm2']);
    const got = await a.messages(2);
    for (const m of got) a.send('ACK', { id: m.headers.ack! });
    await a.disconnect();
    const c = await b.connectTcp({}, 'B');
    await c.subscribe(dest, 'b');
    await c.expectNoMessage();
  });

  it('redelivers unacked messages to another consumer when the consumer UNSUBSCRIBEs', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('unsubredeliver')}`;
    const a = await b.connectTcp({}, 'A');
    await a.subscribe(dest, 'a', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await fill(pub, dest, ['u1', 'u2']);
    await a.messages(2);
    const c = await b.connectTcp({}, 'B');
    await c.subscribe(dest, 'b');
    await c.expectNoMessage();
    await a.unsubscribe('a');
    const re = await c.messages(2);
    expect(bodies(re)).toEqual(['u1', 'u2']);
    expect(re.every((m) => m.headers.redelivered === 'true')).toBe(true);
    await a.expectNoMessage();
  });

  it('redelivers unacked messages to another consumer when the consumer connection drops without DISCONNECT', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('drop')}`;
    const a = await b.connectTcp({}, 'A');
    await a.subscribe(dest, 'a', { ack: 'client' });
    const pub = await b.connectTcp({}, 'pub');
    await fill(pub, dest, ['d1', 'd2']);
    await a.messages(2);
    const c = await b.connectTcp({}, 'B');
    await c.subscribe(dest, 'b');
    a.destroy();
    const re = await c.messages(2);
    expect(bodies(re)).toEqual(['d1', 'd2']);
    expect(re.every((m) => m.headers.redelivered === 'true')).toBe(true);
  });

  it('puts redelivered messages at the front of the queue, in original order, ahead of never-delivered ones', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('front')}`;
    const pub = await b.connectTcp({}, 'pub');
    await fill(pub, dest, ['m0', 'm1', 'm2', 'm3', 'm4']);
    const a = await b.connectTcp({}, 'A');
    await a.subscribe(dest, 'a', { ack: 'client-individual', 'activemq.prefetchSize': '2' });
    expect(bodies(await a.messages(2))).toEqual(['m0', 'm1']);
    await a.disconnect();
    const c = await b.connectTcp({}, 'B');
    await c.subscribe(dest, 'b');
    const all = await c.messages(5);
    expect(bodies(all)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(all.map((m) => m.headers.redelivered === 'true')).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('redelivers a NACKed message with redelivered:true', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('nack')}`;
    const a = await b.connectTcp({}, 'A');
    await a.subscribe(dest, 'a', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'refuse-me');
    const first = await a.message();
    expect(first.headers.redelivered).not.toBe('true');
    await a.sendWithReceipt('NACK', { id: first.headers.ack! });
    const again = await a.message();
    expect(again.bodyText).toBe('refuse-me');
    expect(again.headers.redelivered).toBe('true');
  });

  it('with two consumers, a NACKed message is delivered again (to either) with redelivered:true', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('nack2')}`;
    const a = await b.connectTcp({}, 'A');
    await a.subscribe(dest, 'a', { ack: 'client-individual', 'activemq.prefetchSize': '1' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'hot-potato');
    const first = await a.message();
    const c = await b.connectTcp({}, 'B');
    await c.subscribe(dest, 'b', { ack: 'client-individual' });
    a.send('NACK', { id: first.headers.ack! });
    // Whoever gets it next must see redelivered:true.
    const again = await Promise.race([a.message(), c.message()]);
    expect(again.bodyText).toBe('hot-potato');
    expect(again.headers.redelivered).toBe('true');
  });

  it('accepts STOMP 1.1 ACK by subscription + message-id', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('ack11')}`;
    const a = await b.connectTcp({ 'accept-version': '1.1' }, 'A');
    expect(a.version).toBe('1.1');
    await a.subscribe(dest, 'sub11', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await fill(pub, dest, ['k1', 'k2']);
    const [m1] = await a.messages(2);
    await a.sendWithReceipt('ACK', {
      subscription: 'sub11',
      'message-id': m1!.headers['message-id']!,
    });
    await a.disconnect();
    const c = await b.connectTcp({}, 'B');
    await c.subscribe(dest, 'b');
    const re = await c.message();
    expect(re.bodyText).toBe('k2');
    expect(re.headers.redelivered).toBe('true');
    await c.expectNoMessage();
  });

  it('accepts STOMP 1.0 ACK by message-id', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('ack10')}`;
    const a = await b.connectTcp({ 'accept-version': '1.0' }, 'A');
    expect(a.version).toBe('1.0');
    await a.sendWithReceipt('SUBSCRIBE', { destination: dest, ack: 'client' });
    const pub = await b.connectTcp({}, 'pub');
    await fill(pub, dest, ['j1', 'j2']);
    const got = await a.messages(2);
    for (const m of got) await a.sendWithReceipt('ACK', { 'message-id': m.headers['message-id']! });
    await a.disconnect();
    const c = await b.connectTcp({}, 'B');
    await c.subscribe(dest, 'b');
    await c.expectNoMessage();
  });
});

describe('ack ids (STOMP 1.2)', () => {
  it('refuses ids that are not <handle>.<tag> in digits with ERROR on that connection only, and the message stays unacknowledged', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('ackid')}`;
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'kept');
    const consumer = await b.connectTcp({}, 'consumer');
    await consumer.subscribe(dest, 's', { ack: 'client-individual' });
    const delivered = await consumer.message();
    const ack = delivered.headers.ack!;
    expect(ack).toMatch(/^\d+\.\d+$/);
    const [handle, tag] = ack.split('.') as [string, string];
    // Each is refused by its own connection: numbers written other ways, a tag
    // pointing at nothing, and ids that are not two dot-separated numbers.
    const bad = [
      `${handle}.${tag}.0`,
      `${handle}.`,
      `.${tag}`,
      `${handle}. ${tag}`,
      `${handle}.+${tag}`,
      `${handle}.${tag}e0`,
      `0x${handle}.${tag}`,
      `${handle}.${Number(tag) + 1000}`,
      `${handle}.99999999999999999999`,
      'abc',
    ];
    for (const id of bad) {
      const c = await b.connectTcp({}, `bad ${id}`);
      await c.subscribe(dest, 'other', { ack: 'client-individual' });
      c.send('ACK', { id, receipt: 'r' });
      const error = await c.expectFrame('ERROR');
      expect(error.headers.message, id).toContain('unknown ack id');
      await c.expectClosed();
    }
    // The consumer's connection is untouched and its real ack id still settles the delivery.
    await consumer.sendWithReceipt('ACK', { id: ack });
    await consumer.disconnect();
    const after = await b.connectTcp({}, 'after');
    await after.subscribe(dest, 'again');
    await after.expectNoMessage();
  });
});

describe('ack scoping', () => {
  it('client: a cumulative ACK only covers messages of its own subscription', async () => {
    const b = await startBroker();
    const q1 = `/queue/${uniqueName('scope1')}`;
    const q2 = `/queue/${uniqueName('scope2')}`;
    const a = await b.connectTcp({}, 'A');
    await a.subscribe(q1, 's1', { ack: 'client' });
    await a.subscribe(q2, 's2', { ack: 'client' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(q1, 'q1-a');
    await a.message((m) => m.bodyText === 'q1-a');
    await pub.publish(q2, 'q2-a');
    await a.message((m) => m.bodyText === 'q2-a');
    await pub.publish(q1, 'q1-b');
    const last = await a.message((m) => m.bodyText === 'q1-b');
    await a.sendWithReceipt('ACK', { id: last.headers.ack! });
    await a.disconnect();
    const c = await b.connectTcp({}, 'B');
    await c.subscribe(q1, 'b1');
    await c.subscribe(q2, 'b2');
    const re = await c.message();
    expect(re.bodyText).toBe('q2-a');
    expect(re.headers.redelivered).toBe('true');
    await c.expectNoMessage();
  });

  it('accepts ACK for a client-individual topic subscription', async () => {
    const b = await startBroker();
    const dest = `/topic/${uniqueName('topicack')}`;
    const c = await b.connectTcp();
    await c.subscribe(dest, 't', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'ackable');
    const m = await c.message();
    expect(m.headers.ack).toBeTruthy();
    await c.sendWithReceipt('ACK', { id: m.headers.ack! });
    expect(c.history.filter((f) => f.command === 'ERROR')).toEqual([]);
  });
});

describe('prefetch', () => {
  it('does not limit ack:auto subscriptions even with a prefetch header', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('autopf')}`;
    const pub = await b.connectTcp({}, 'pub');
    await fill(pub, dest, ['a0', 'a1', 'a2', 'a3', 'a4']);
    const c = await b.connectTcp({}, 'c');
    await c.subscribe(dest, 's', { ack: 'auto', 'activemq.prefetchSize': '1' });
    expect(bodies(await c.messages(5))).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
  });

  it('applies queues.defaultPrefetch to client-individual subscriptions without a prefetch header', async () => {
    const b = await startBroker({ queues: { defaultPrefetch: 3 } });
    const dest = `/queue/${uniqueName('defpf')}`;
    const pub = await b.connectTcp({}, 'pub');
    await fill(pub, dest, ['d0', 'd1', 'd2', 'd3', 'd4', 'd5']);
    const c = await b.connectTcp({}, 'c');
    await c.subscribe(dest, 's', { ack: 'client-individual' });
    const got = await c.messages(3);
    expect(bodies(got)).toEqual(['d0', 'd1', 'd2']);
    await c.expectNoMessage();
    c.send('ACK', { id: got[0]!.headers.ack! });
    expect((await c.message()).bodyText).toBe('d3');
  });

  it.each([
    ['activemq.prefetchSize', 'client-individual'],
    ['prefetch-count', 'client-individual'],
    ['activemq.prefetchSize', 'client'],
    ['prefetch-count', 'client'],
  ])(
    '%s:2 with ack:%s limits unacked messages in flight to 2 until the consumer acks',
    async (header, ack) => {
      const b = await startBroker();
      const dest = `/queue/${uniqueName('pf')}`;
      const pub = await b.connectTcp({}, 'pub');
      await fill(pub, dest, ['p0', 'p1', 'p2', 'p3', 'p4']);
      const c = await b.connectTcp({}, 'c');
      await c.subscribe(dest, 's', { ack, [header]: '2' });
      const firstTwo = await c.messages(2);
      expect(bodies(firstTwo)).toEqual(['p0', 'p1']);
      await c.expectNoMessage();
      // Ack the first one only: exactly one more may flow.
      await c.sendWithReceipt('ACK', { id: firstTwo[0]!.headers.ack! });
      const third = await c.message();
      expect(third.bodyText).toBe('p2');
      await c.expectNoMessage();
    },
  );

  it('with prefetch 1, messages published after subscribing also wait for the previous ACK', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('pf1')}`;
    const c = await b.connectTcp({}, 'c');
    await c.subscribe(dest, 's', { ack: 'client-individual', 'activemq.prefetchSize': '1' });
    const pub = await b.connectTcp({}, 'pub');
    await fill(pub, dest, ['q0', 'q1', 'q2']);
    const m0 = await c.message();
    expect(m0.bodyText).toBe('q0');
    await c.expectNoMessage();
    c.send('ACK', { id: m0.headers.ack! });
    const m1 = await c.message();
    expect(m1.bodyText).toBe('q1');
    c.send('ACK', { id: m1.headers.ack! });
    expect((await c.message()).bodyText).toBe('q2');
  });

  it('gives the next message to a consumer with credit when another consumer is at its prefetch limit', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('credit')}`;
    const busy = await b.connectTcp({}, 'busy');
    await busy.subscribe(dest, 'busy', { ack: 'client-individual', 'activemq.prefetchSize': '1' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'first');
    expect((await busy.message()).bodyText).toBe('first');
    const free = await b.connectTcp({}, 'free');
    await free.subscribe(dest, 'free', { ack: 'auto' });
    await fill(pub, dest, ['r1', 'r2', 'r3']);
    expect(bodies(await free.messages(3))).toEqual(['r1', 'r2', 'r3']);
    await busy.expectNoMessage();
  });
});
