/**
 * ActiveMQ composite destinations (`/queue/a,/topic/b`) and virtual topics
 * (`/topic/VirtualTopic.X` → `/queue/Consumer.<group>.VirtualTopic.X`).
 */
import { describe, expect, it, vi } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import {
  bodiesOf,
  browseBodies,
  drainMessages,
  errorText,
  expectRefused,
  startCompatBroker,
} from '../../helpers/compat.js';
import { uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

const seg = (p: string) => uniqueName(p).replaceAll('-', '_');

describe('composite destinations', () => {
  it('SEND /queue/a,/topic/b delivers a copy to each', async () => {
    const b = await startBroker();
    const q = `/queue/${uniqueName('cq')}`;
    const t = `/topic/${uniqueName('ct')}`;
    const q2 = `/queue/${uniqueName('cq2')}`;
    const topicSub = await b.connectTcp({}, 'topicSub');
    await topicSub.subscribe(t, 't');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`${q},${t},${q2}`, 'fan', { custom: 'v' });
    const fromTopic = await topicSub.message();
    expect(fromTopic.bodyText).toBe('fan');
    expect(fromTopic.headers.destination).toBe(t);
    expect(fromTopic.headers.custom).toBe('v');
    expect(await drainMessages(topicSub)).toEqual([]);
    for (const dest of [q, q2]) {
      const c = await b.connectTcp({}, `q:${dest}`);
      await c.subscribe(dest, 'q');
      const f = await c.message();
      expect(f.bodyText).toBe('fan');
      expect(f.headers.destination).toBe(dest);
      expect(f.headers.custom).toBe('v');
      expect(await drainMessages(c)).toEqual([]);
    }
  });

  it('accepts spaces after the commas', async () => {
    const b = await startBroker();
    const q1 = `/queue/${uniqueName('sp1')}`;
    const q2 = `/queue/${uniqueName('sp2')}`;
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`${q1}, ${q2}`, 'spaced');
    expect(await browseBodies(b, q1)).toEqual(['spaced']);
    expect(await browseBodies(b, q2)).toEqual(['spaced']);
  });

  const badParts: Array<[string, (ok: string) => string]> = [
    ['an unknown prefix', (ok) => `${ok},/bogus/x`],
    ['a wildcard part', (ok) => `/queue/${uniqueName('wc')}.*,${ok}`],
    ['an empty name', (ok) => `${ok},/queue/`],
  ];
  for (const [what, compose] of badParts) {
    it(`sends nothing at all and ERRORs when one part is invalid (${what})`, async () => {
      const b = await startBroker();
      const q = `/queue/${uniqueName('valid')}`;
      const t = `/topic/${uniqueName('validt')}`;
      const topicSub = await b.connectTcp({}, 'topicSub');
      await topicSub.subscribe(t, 't');
      const pub = await b.connectTcp({}, 'pub');
      await expectRefused(pub, 'SEND', { destination: compose(`${q},${t}`) }, 'partial?');
      expect(await drainMessages(topicSub)).toEqual([]);
      expect(await browseBodies(b, q)).toEqual([]);
    });
  }
});

describe('virtual topics', () => {
  it('fans a virtual topic into every consumer queue; one copy per group, round-robin within it', async () => {
    const b = await startBroker();
    const name = `VirtualTopic.${seg('Orders')}`;
    const a1 = await b.connectTcp({}, 'A1');
    const a2 = await b.connectTcp({}, 'A2');
    const b1 = await b.connectTcp({}, 'B1');
    await a1.subscribe(`/queue/Consumer.A.${name}`, 'a1');
    await a2.subscribe(`/queue/Consumer.A.${name}`, 'a2');
    await b1.subscribe(`/queue/Consumer.B.${name}`, 'b1');
    const plain = await b.connectTcp({}, 'plain');
    await plain.subscribe(`/topic/${name}`, 'plain');
    const pub = await b.connectTcp({}, 'pub');
    const sent = Array.from({ length: 10 }, (_, i) => `o${i}`);
    for (const body of sent) await pub.publish(`/topic/${name}`, body);

    const [gotA1, gotA2] = await Promise.all([a1.messages(5), a2.messages(5)]);
    expect([...bodiesOf(gotA1), ...bodiesOf(gotA2)].sort()).toEqual([...sent].sort());
    // Round-robin inside the group: alternate messages, each consumer in order.
    const nums1 = bodiesOf(gotA1).map((s) => Number(s.slice(1)));
    const nums2 = bodiesOf(gotA2).map((s) => Number(s.slice(1)));
    expect(nums1.every((n) => n % 2 === nums1[0]! % 2)).toBe(true);
    expect(nums2.every((n) => n % 2 === nums2[0]! % 2)).toBe(true);
    expect(bodiesOf(await b1.messages(10))).toEqual(sent);
    expect(bodiesOf(await plain.messages(10))).toEqual(sent);
    for (const c of [a1, a2, b1, plain]) expect(await drainMessages(c)).toEqual([]);
  });

  it('a consumer queue keeps collecting its group’s copy while no consumer is attached', async () => {
    const b = await startBroker();
    const name = `VirtualTopic.${seg('Away')}`;
    const queue = `/queue/Consumer.G.${name}`;
    const c = await b.connectTcp({}, 'c');
    await c.subscribe(queue, 'g');
    await c.unsubscribe('g');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/topic/${name}`, 'while-away-1');
    await pub.publish(`/topic/${name}`, 'while-away-2');
    await c.subscribe(queue, 'g2');
    expect(bodiesOf(await c.messages(2))).toEqual(['while-away-1', 'while-away-2']);
  });

  it('does not fill queues that do not follow the naming scheme', async () => {
    const b = await startBroker();
    const name = `VirtualTopic.${seg('Strict')}`;
    const pub = await b.connectTcp({}, 'pub');
    const good = await b.connectTcp({}, 'good');
    await good.subscribe(`/queue/Consumer.X.${name}`, 'g');
    // Create (then leave) queues with near-miss names.
    const misses = [`/queue/Consumer.${name}`, `/queue/Consumer.X.Y.${name}`, `/queue/${name}`];
    for (const m of misses) await pub.publish(m, 'seed');
    await pub.publish(`/topic/${name}`, 'vt');
    expect((await good.message()).bodyText).toBe('vt');
    for (const m of misses) expect(await browseBodies(b, m)).toEqual(['seed']);
  });

  it('a selector on a consumer queue picks its messages; the others stay for the group', async () => {
    const b = await startBroker();
    const name = `VirtualTopic.${seg('Sel')}`;
    const queue = `/queue/Consumer.S.${name}`;
    const eu = await b.connectTcp({}, 'eu');
    await eu.subscribe(queue, 'eu', { selector: "region = 'EU'" });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/topic/${name}`, 'us-1', { region: 'US' });
    await pub.publish(`/topic/${name}`, 'eu-1', { region: 'EU' });
    expect(bodiesOf(await drainMessages(eu))).toEqual(['eu-1']);
    expect(await browseBodies(b, queue)).toEqual(['us-1']);
  });

  it('uses the configured virtualTopics prefixes instead of the defaults', async () => {
    const b = await startCompatBroker({
      virtualTopics: { topicPrefix: 'VT.', consumerQueuePrefix: 'Grp.*.' },
    });
    const s = seg('Cfg');
    const custom = await b.connectTcp({}, 'custom');
    await custom.subscribe(`/queue/Grp.one.VT.${s}`, 'c');
    const legacy = await b.connectTcp({}, 'legacy');
    await legacy.subscribe(`/queue/Consumer.A.VirtualTopic.${s}`, 'l');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/topic/VT.${s}`, 'custom-vt');
    await pub.publish(`/topic/VirtualTopic.${s}`, 'default-name');
    expect((await custom.message()).bodyText).toBe('custom-vt');
    expect(await drainMessages(custom)).toEqual([]);
    expect(await drainMessages(legacy)).toEqual([]);
  });

  it('SEND to a virtual topic with a wildcard consumer name is still refused', async () => {
    const b = await startBroker();
    const c = await b.connectTcp({}, 'c');
    const err = await expectRefused(
      c,
      'SEND',
      { destination: `/queue/Consumer.*.VirtualTopic.${seg('W')}` },
      'x',
    );
    expect(errorText(err)).toMatch(/wildcard/i);
  });
});
