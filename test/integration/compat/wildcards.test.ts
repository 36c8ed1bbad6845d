/**
 * ActiveMQ wildcards on SUBSCRIBE: `.` separates segments, `*` matches one segment,
 * `>` one or more trailing segments; on topics and on queues. SEND to a wildcard is refused.
 */
import { describe, expect, it, vi } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { bodiesOf, browseBodies, drainMessages, expectRefused } from '../../helpers/compat.js';
import { uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

/** A unique dot-free root segment, so patterns from other tests never match. */
const root = (p: string) => uniqueName(p).replaceAll('-', '_');

describe('wildcard topic subscriptions', () => {
  it('`*` matches exactly one segment', async () => {
    const b = await startBroker();
    const r = root('star');
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/topic/${r}.*.price`, 'w');
    const pub = await b.connectTcp({}, 'pub');
    const sends = [
      `${r}.ibm.price`, // match
      `${r}.price`, // zero segments: no
      `${r}.ibm.nyse.price`, // two segments: no
      `${r}.msft.volume`, // last segment differs: no
      `${r}.msft.price`, // match
      `${r}x.ibm.price`, // first segment differs: no
    ];
    for (const t of sends) await pub.publish(`/topic/${t}`, t);
    const got = await drainMessages(sub);
    expect(bodiesOf(got)).toEqual([`${r}.ibm.price`, `${r}.msft.price`]);
    // The MESSAGE names the concrete destination it was published to.
    expect(got.map((f) => f.headers.destination)).toEqual([
      `/topic/${r}.ibm.price`,
      `/topic/${r}.msft.price`,
    ]);
    expect(got.every((f) => f.headers.subscription === 'w')).toBe(true);
  });

  it('`>` matches one or more trailing segments, not zero', async () => {
    const b = await startBroker();
    const r = root('gt');
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/topic/${r}.stock.>`, 'w');
    const pub = await b.connectTcp({}, 'pub');
    const sends = [
      `${r}.stock`, // no trailing segment: no
      `${r}.stock.ibm`, // yes
      `${r}.stock.ibm.nyse.price`, // yes
      `${r}.bond.ibm`, // no
      `${r}.stockx.ibm`, // no
    ];
    for (const t of sends) await pub.publish(`/topic/${t}`, t);
    expect(bodiesOf(await drainMessages(sub))).toEqual([
      `${r}.stock.ibm`,
      `${r}.stock.ibm.nyse.price`,
    ]);
  });

  it('combines `*` and `>` and delivers once per matching subscription', async () => {
    const b = await startBroker();
    const r = root('mix');
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/topic/${r}.*.>`, 'mix');
    await sub.subscribe(`/topic/${r}.a.b`, 'exact');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/topic/${r}.a`, 'one-segment');
    await pub.publish(`/topic/${r}.a.b`, 'a.b');
    await pub.publish(`/topic/${r}.x.y.z`, 'x.y.z');
    const got = await drainMessages(sub);
    expect(got.map((f) => `${f.headers.subscription}:${f.bodyText}`)).toEqual(
      expect.arrayContaining(['mix:a.b', 'exact:a.b', 'mix:x.y.z']),
    );
    expect(got).toHaveLength(3);
  });
});

describe('wildcard queue subscriptions', () => {
  it('consumes from every matching queue, including queues created after it subscribed', async () => {
    const b = await startBroker();
    const r = root('wq');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/queue/${r}.orders.eu`, 'before-eu');
    await pub.publish(`/queue/${r}.orders.us`, 'before-us');
    await pub.publish(`/queue/${r}.invoices.eu`, 'other');
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/queue/${r}.orders.*`, 'w');
    const early = await sub.messages(2);
    expect(bodiesOf(early).sort()).toEqual(['before-eu', 'before-us']);
    // A queue that did not exist when the subscription was made.
    await pub.publish(`/queue/${r}.orders.asia`, 'new-queue');
    await pub.publish(`/queue/${r}.orders.eu`, 'after-eu');
    const later = await sub.messages(2);
    expect(bodiesOf(later).sort()).toEqual(['after-eu', 'new-queue']);
    expect(later.find((f) => f.bodyText === 'new-queue')?.headers.destination).toBe(
      `/queue/${r}.orders.asia`,
    );
    expect(await drainMessages(sub)).toEqual([]);
    // Consumed, not copied: the matching queues are empty, the other one is untouched.
    expect(await browseBodies(b, `/queue/${r}.orders.eu`)).toEqual([]);
    expect(await browseBodies(b, `/queue/${r}.orders.asia`)).toEqual([]);
    expect(await browseBodies(b, `/queue/${r}.invoices.eu`)).toEqual(['other']);
  });

  it('`>` on queues consumes from nested queues', async () => {
    const b = await startBroker();
    const r = root('wqgt');
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/queue/${r}.>`, 'w', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/queue/${r}.a`, 'a');
    await pub.publish(`/queue/${r}.a.b.c`, 'abc');
    await pub.publish(`/queue/${r}`, 'root-only');
    const got = await sub.messages(2);
    expect(bodiesOf(got).sort()).toEqual(['a', 'abc']);
    expect(await drainMessages(sub)).toEqual([]);
    for (const f of got) await sub.sendWithReceipt('ACK', { id: f.headers.ack! });
    expect(await browseBodies(b, `/queue/${r}`)).toEqual(['root-only']);
    expect(await browseBodies(b, `/queue/${r}.a`)).toEqual([]);
  });
});

describe('SEND to a wildcard destination', () => {
  for (const dest of ['/topic/wc.*.x', '/topic/wc.>', '/queue/wc.*', '/queue/wc.a.>']) {
    it(`is refused with an ERROR: ${dest}`, async () => {
      const b = await startBroker();
      const c = await b.connectTcp({}, 'sender');
      const err = await expectRefused(c, 'SEND', { destination: dest }, 'nope');
      expect(err.headers.message).toMatch(/wildcard/i);
    });
  }
});
