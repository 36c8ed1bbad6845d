import { describe, expect, it, vi } from 'vitest';
import { startBroker } from '../helpers/broker.js';
import { uniqueName } from '../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

const bodiesOf = (frames: { bodyText: string }[]) => frames.map((f) => f.bodyText);

describe('queues (competing consumers)', () => {
  it('delivers each of 30 messages to exactly one of 3 auto-ack consumers, 10 each', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('rr')}`;
    const consumers = await Promise.all([1, 2, 3].map((i) => b.connectTcp({}, `c${i}`)));
    for (const [i, c] of consumers.entries()) await c.subscribe(dest, `c${i}`);
    const pub = await b.connectTcp({}, 'pub');
    const sent = Array.from({ length: 30 }, (_, i) => `m${i}`);
    for (const body of sent.slice(0, -1)) pub.send('SEND', { destination: dest }, body);
    await pub.publish(dest, sent.at(-1)!);
    const received = await Promise.all(consumers.map((c) => c.messages(10)));
    await Promise.all(consumers.map((c) => c.expectNoMessage()));
    const all = received.flat().map((m) => m.bodyText);
    expect(all).toHaveLength(30);
    expect(new Set(all).size).toBe(30);
    expect([...all].sort()).toEqual([...sent].sort());
    for (const [i, msgs] of received.entries()) {
      expect(msgs).toHaveLength(10);
      for (const m of msgs) {
        expect(m.headers.subscription).toBe(`c${i}`);
        expect(m.headers.destination).toBe(dest);
      }
    }
    const ids = received.flat().map((m) => m.headers['message-id']);
    expect(new Set(ids).size).toBe(30);
  });

  it('dispatches round-robin: each consumer gets every third message, in order', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('rr3')}`;
    const consumers = await Promise.all([1, 2, 3].map((i) => b.connectTcp({}, `c${i}`)));
    for (const [i, c] of consumers.entries()) await c.subscribe(dest, `c${i}`);
    const pub = await b.connectTcp({}, 'pub');
    for (let i = 0; i < 29; i++) pub.send('SEND', { destination: dest }, String(i));
    await pub.publish(dest, '29');
    const received = await Promise.all(consumers.map((c) => c.messages(10)));
    const residues = new Set<number>();
    for (const msgs of received) {
      const nums = msgs.map((m) => Number(m.bodyText));
      expect(nums).toEqual([...nums].sort((x, y) => x - y));
      const r = nums[0]! % 3;
      expect(nums.every((n) => n % 3 === r)).toBe(true);
      residues.add(r);
    }
    expect(residues.size).toBe(3);
  });

  it('keeps messages sent while no consumer exists and delivers them, in order, when one subscribes', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('kept')}`;
    const pub = await b.connectTcp({}, 'pub');
    for (let i = 0; i < 4; i++) pub.send('SEND', { destination: dest }, `early-${i}`);
    await pub.publish(dest, 'early-4');
    const c = await b.connectTcp({}, 'late');
    await c.subscribe(dest, 'late');
    const got = await c.messages(5);
    expect(bodiesOf(got)).toEqual(['early-0', 'early-1', 'early-2', 'early-3', 'early-4']);
    expect(got.every((m) => m.headers.subscription === 'late')).toBe(true);
  });

  it('keeps queued messages after the publisher has disconnected', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('orphan')}`;
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'survivor');
    await pub.disconnect();
    const c = await b.connectTcp({}, 'c');
    await c.subscribe(dest, 's');
    expect((await c.message()).bodyText).toBe('survivor');
  });

  it('delivers 100 messages to a single consumer in send order', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('order')}`;
    const c = await b.connectTcp({}, 'c');
    await c.subscribe(dest, 's');
    const pub = await b.connectTcp({}, 'pub');
    const sent = Array.from({ length: 100 }, (_, i) => `n${i}`);
    for (const body of sent) pub.send('SEND', { destination: dest }, body);
    expect(bodiesOf(await c.messages(100))).toEqual(sent);
  });

  it('does not deliver a queued message twice to two consumers', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('once')}`;
    const c1 = await b.connectTcp({}, 'c1');
    const c2 = await b.connectTcp({}, 'c2');
    await c1.subscribe(dest, 'a');
    await c2.subscribe(dest, 'b');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'single');
    const winner = await Promise.race([c1.message(), c2.message()]);
    expect(winner.bodyText).toBe('single');
    await new Promise((r) => setTimeout(r, 250));
    const total = [c1, c2].reduce(
      (n, c) => n + c.history.filter((f) => f.command === 'MESSAGE').length,
      0,
    );
    expect(total).toBe(1);
  });

  it('sends everything to the remaining consumer after another one UNSUBSCRIBEs', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('leave')}`;
    const stay = await b.connectTcp({}, 'stay');
    const leave = await b.connectTcp({}, 'leave');
    await stay.subscribe(dest, 'stay');
    await leave.subscribe(dest, 'leave');
    await leave.unsubscribe('leave');
    const pub = await b.connectTcp({}, 'pub');
    for (let i = 0; i < 5; i++) pub.send('SEND', { destination: dest }, `x${i}`);
    await pub.publish(dest, 'x5');
    expect(bodiesOf(await stay.messages(6))).toEqual(['x0', 'x1', 'x2', 'x3', 'x4', 'x5']);
    await leave.expectNoMessage();
  });

  it('sends everything to the remaining consumer after another one drops its connection', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('drop')}`;
    const stay = await b.connectTcp({}, 'stay');
    const drop = await b.connectTcp({}, 'drop');
    await stay.subscribe(dest, 'stay');
    await drop.subscribe(dest, 'drop');
    await drop.disconnect();
    const pub = await b.connectTcp({}, 'pub');
    for (let i = 0; i < 3; i++) pub.send('SEND', { destination: dest }, `y${i}`);
    await pub.publish(dest, 'y3');
    expect(bodiesOf(await stay.messages(4))).toEqual(['y0', 'y1', 'y2', 'y3']);
  });

  it('keeps /queue/NAME and /topic/NAME separate', async () => {
    const b = await startBroker();
    const name = uniqueName('same');
    const qsub = await b.connectTcp({}, 'q');
    const tsub = await b.connectTcp({}, 't');
    await qsub.subscribe(`/queue/${name}`, 'q');
    await tsub.subscribe(`/topic/${name}`, 't');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/queue/${name}`, 'to-queue');
    await pub.publish(`/topic/${name}`, 'to-topic');
    const qm = await qsub.message();
    const tm = await tsub.message();
    expect(qm.bodyText).toBe('to-queue');
    expect(qm.headers.destination).toBe(`/queue/${name}`);
    expect(tm.bodyText).toBe('to-topic');
    expect(tm.headers.destination).toBe(`/topic/${name}`);
    await qsub.expectNoMessage();
    await tsub.expectNoMessage();
  });

  it('passes application headers through on queue messages', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('qhdr')}`;
    const c = await b.connectTcp({}, 'c');
    await c.subscribe(dest, 'qs');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, '{"a":1}', {
      'content-type': 'application/json',
      'x-custom': '1',
      'reply-to': '/queue/replies-r',
    });
    const m = await c.message();
    expect(m.headers['content-type']).toBe('application/json');
    expect(m.headers['x-custom']).toBe('1');
    expect(m.headers['reply-to']).toBe('/queue/replies-r');
    expect(m.headers.subscription).toBe('qs');
    expect(m.headers['message-id']).toBeTruthy();
    expect(m.bodyText).toBe('{"a":1}');
    if (m.headers['content-length'] !== undefined) expect(m.headers['content-length']).toBe('7');
  });
});

describe('temporary queues', () => {
  it('keeps /temp-queue/NAME private to the connection that uses it', async () => {
    const b = await startBroker();
    const name = `/temp-queue/${uniqueName('tmp')}`;
    const a = await b.connectTcp({}, 'A');
    const bb = await b.connectTcp({}, 'B');
    await a.subscribe(name, 'a-sub');
    await bb.subscribe(name, 'b-sub');
    await a.publish(name, 'from-A');
    const m = await a.message();
    expect(m.bodyText).toBe('from-A');
    expect(m.headers.subscription).toBe('a-sub');
    await bb.expectNoMessage();
    await bb.publish(name, 'from-B');
    expect((await bb.message()).bodyText).toBe('from-B');
    await a.expectNoMessage();
  });

  it('does not let another connection without a subscription read a temp queue', async () => {
    const b = await startBroker();
    const name = `/temp-queue/${uniqueName('tmp2')}`;
    const owner = await b.connectTcp({}, 'owner');
    await owner.publish(name, 'mine');
    const other = await b.connectTcp({}, 'other');
    await other.subscribe(name, 'peek');
    await other.expectNoMessage();
    await owner.subscribe(name, 'own');
    expect((await owner.message()).bodyText).toBe('mine');
  });
});
