/**
 * RabbitMQ exchanges over STOMP: /exchange/NAME[/KEY] with direct, fanout, topic (AMQP
 * patterns) and headers types; built-in amq.* exchanges; declaration in config or on first
 * use; private and named (durable) subscription queues; queue arguments.
 */
import { describe, expect, it, vi } from 'vitest';
import type { BrokerContext } from '../../helpers/broker.js';
import {
  bodiesOf,
  browseBodies,
  drainMessages,
  errorText,
  expectRefused,
  settle,
  sleep,
  startCompatBroker,
} from '../../helpers/compat.js';
import type { Frame } from '../../helpers/frames.js';
import { type RawStompClient, uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

/** Exchange and queue names: unique, without '/' or '.' so they never clash with keys. */
const nm = (p: string) => uniqueName(p).replaceAll('-', '_');

/** Per-subscription bodies received (after a receipt barrier). */
async function bySubscription(c: RawStompClient): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const f of await drainMessages(c)) {
    const id = f.headers.subscription ?? '?';
    out[id] = [...(out[id] ?? []), f.bodyText];
  }
  return out;
}

async function publishAll(
  pub: RawStompClient,
  exchange: string,
  keys: string[],
  headers: Record<string, string> = {},
): Promise<void> {
  for (const key of keys)
    await pub.publish(
      key === '' ? `/exchange/${exchange}` : `/exchange/${exchange}/${key}`,
      key,
      headers,
    );
}

describe('direct exchanges', () => {
  it('routes by exact routing key (exchange declared in config)', async () => {
    const ex = nm('direct');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'direct' }] });
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/exchange/${ex}/orange`, 'orange');
    await sub.subscribe(`/exchange/${ex}/black`, 'black');
    await sub.subscribe(`/exchange/${ex}/green`, 'green');
    const other = await b.connectTcp({}, 'other');
    await other.subscribe(`/exchange/${ex}/black`, 'black2');
    const pub = await b.connectTcp({}, 'pub');
    await publishAll(pub, ex, ['orange', 'black', 'blue', 'orange.x', 'green', 'Orange']);
    expect(await bySubscription(sub)).toEqual({
      orange: ['orange'],
      black: ['black'],
      green: ['green'],
    });
    // Every binding gets its own copy.
    expect(await bySubscription(other)).toEqual({ black2: ['black'] });
  });

  it("SEND /exchange/NAME uses the routing key '' (and SUBSCRIBE /exchange/NAME binds '')", async () => {
    const ex = nm('emptykey');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'direct' }] });
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/exchange/${ex}`, 'empty');
    await sub.subscribe(`/exchange/${ex}/k`, 'k');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/${ex}`, 'no-key');
    await pub.publish(`/exchange/${ex}/k`, 'key-k');
    expect(await bySubscription(sub)).toEqual({ empty: ['no-key'], k: ['key-k'] });
  });

  it('the built-in amq.direct exchange works without declaration', async () => {
    const b = await startCompatBroker();
    const key = nm('key');
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/exchange/amq.direct/${key}`, 'd');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/amq.direct/${key}`, 'hit');
    await pub.publish(`/exchange/amq.direct/${key}.other`, 'miss');
    expect(bodiesOf(await drainMessages(sub))).toEqual(['hit']);
  });
});

describe('fanout exchanges', () => {
  it('every bound subscription gets every message whatever the key', async () => {
    const ex = nm('fan');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'fanout' }] });
    const s1 = await b.connectTcp({}, 's1');
    const s2 = await b.connectTcp({}, 's2');
    await s1.subscribe(`/exchange/${ex}`, 'a');
    await s2.subscribe(`/exchange/${ex}/ignored.pattern`, 'b');
    const pub = await b.connectTcp({}, 'pub');
    await publishAll(pub, ex, ['', 'x', 'y.z']);
    expect(bodiesOf(await drainMessages(s1))).toEqual(['', 'x', 'y.z']);
    expect(bodiesOf(await drainMessages(s2))).toEqual(['', 'x', 'y.z']);
  });

  it('the built-in amq.fanout exchange works without declaration', async () => {
    const b = await startCompatBroker();
    const s1 = await b.connectTcp({}, 's1');
    const s2 = await b.connectTcp({}, 's2');
    await s1.subscribe('/exchange/amq.fanout', 'a');
    await s2.subscribe('/exchange/amq.fanout/whatever', 'b');
    const pub = await b.connectTcp({}, 'pub');
    const body = nm('fanbody');
    await pub.publish('/exchange/amq.fanout/some.key', body);
    expect(bodiesOf(await drainMessages(s1))).toEqual([body]);
    expect(bodiesOf(await drainMessages(s2))).toEqual([body]);
  });

  it('a message sent while nothing is bound is dropped (SEND still gets its RECEIPT)', async () => {
    const ex = nm('fanlate');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'fanout' }] });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/${ex}`, 'into-the-void');
    const late = await b.connectTcp({}, 'late');
    await late.subscribe(`/exchange/${ex}`, 'l');
    await pub.publish(`/exchange/${ex}`, 'seen');
    expect(bodiesOf(await late.messages(1))).toEqual(['seen']);
    expect(await drainMessages(late)).toEqual([]);
  });
});

describe('topic exchanges (AMQP patterns)', () => {
  const PATTERNS = ['*.orange.*', '*.*.rabbit', 'lazy.#', '#', 'a.#.z', '#.end', 'exact.key'];
  const EXPECT: Record<string, string[]> = {
    'quick.orange.rabbit': ['*.orange.*', '*.*.rabbit', '#'],
    'lazy.orange.elephant': ['*.orange.*', 'lazy.#', '#'],
    'quick.orange.fox': ['*.orange.*', '#'],
    'lazy.brown.fox': ['lazy.#', '#'],
    'lazy.pink.rabbit': ['*.*.rabbit', 'lazy.#', '#'],
    lazy: ['lazy.#', '#'],
    'quick.brown.fox': ['#'],
    orange: ['#'],
    'quick.orange.male.rabbit': ['#'],
    'a.z': ['a.#.z', '#'],
    'a.b.c.z': ['a.#.z', '#'],
    end: ['#.end', '#'],
    'x.y.end': ['#.end', '#'],
    'exact.key': ['exact.key', '#'],
    'exact.keys': ['#'],
  };

  async function check(b: BrokerContext, ex: string, declare: Record<string, string>) {
    const sub = await b.connectTcp({}, 'sub');
    for (const [i, p] of PATTERNS.entries())
      await sub.subscribe(`/exchange/${ex}/${p}`, `p${i}`, declare);
    const pub = await b.connectTcp({}, 'pub');
    await publishAll(pub, ex, Object.keys(EXPECT));
    const got = await bySubscription(sub);
    const actual = PATTERNS.map((p, i) => [p, got[`p${i}`] ?? []]);
    const expected = PATTERNS.map((p) => [
      p,
      Object.keys(EXPECT).filter((k) => EXPECT[k]!.includes(p)),
    ]);
    expect(actual).toEqual(expected);
  }

  it('routes with * (exactly one word) and # (zero or more words), declared in config', async () => {
    const ex = nm('topicx');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'topic' }] });
    await check(b, ex, {});
  });

  it('declares an exchange on first use as a topic exchange by default', async () => {
    const b = await startCompatBroker();
    await check(b, nm('implicit'), {});
  });

  it('declares an exchange on first use with x-exchange-type:topic', async () => {
    const b = await startCompatBroker();
    await check(b, nm('declared'), { 'x-exchange-type': 'topic' });
  });
});

describe('headers exchanges', () => {
  it('matches x-bind-* binding arguments with x-match:all and x-match:any', async () => {
    const ex = nm('hdr');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'headers' }] });
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/exchange/${ex}`, 'all', {
      'x-match': 'all',
      'x-bind-format': 'pdf',
      'x-bind-doctype': 'report',
    });
    await sub.subscribe(`/exchange/${ex}`, 'any', {
      'x-match': 'any',
      'x-bind-format': 'pdf',
      'x-bind-doctype': 'report',
    });
    const pub = await b.connectTcp({}, 'pub');
    const msgs: Array<[string, Record<string, string>]> = [
      ['pdf-report', { format: 'pdf', doctype: 'report' }],
      ['pdf-log', { format: 'pdf', doctype: 'log' }],
      ['zip-report', { format: 'zip', doctype: 'report' }],
      ['zip-log', { format: 'zip', doctype: 'log' }],
      ['pdf-only', { format: 'pdf' }],
      ['none', {}],
      ['pdf-report-extra', { format: 'pdf', doctype: 'report', other: 'x' }],
    ];
    // The routing key plays no part in a headers exchange.
    for (const [body, headers] of msgs) await pub.publish(`/exchange/${ex}/ignored`, body, headers);
    expect(await bySubscription(sub)).toEqual({
      all: ['pdf-report', 'pdf-report-extra'],
      any: ['pdf-report', 'pdf-log', 'zip-report', 'pdf-only', 'pdf-report-extra'],
    });
  });

  it('the built-in amq.headers exchange works without declaration (x-match defaults to all)', async () => {
    const b = await startCompatBroker();
    const tag = nm('tag');
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe('/exchange/amq.headers', 'h', { 'x-match': 'all', 'x-bind-tag': tag });
    await sub.subscribe('/exchange/amq.headers', 'h2', { 'x-bind-tag': tag, 'x-bind-n': '1' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish('/exchange/amq.headers', 'yes', { tag, n: '1' });
    await pub.publish('/exchange/amq.headers', 'tag-only', { tag });
    await pub.publish('/exchange/amq.headers', 'no', { tag: 'other' });
    expect(await bySubscription(sub)).toEqual({ h: ['yes', 'tag-only'], h2: ['yes'] });
  });
});

describe('amq.topic', () => {
  it('/exchange/amq.topic/KEY is the same as /topic/KEY, with ActiveMQ wildcards', async () => {
    const b = await startCompatBroker();
    const r = nm('amqt');
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/topic/${r}.*`, 'topic-star');
    await sub.subscribe(`/exchange/amq.topic/${r}.>`, 'amq-gt');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/amq.topic/${r}.a`, 'via-exchange');
    await pub.publish(`/topic/${r}.b.c`, 'via-topic');
    expect(await bySubscription(sub)).toEqual({
      'topic-star': ['via-exchange'],
      'amq-gt': ['via-exchange', 'via-topic'],
    });
  });
});

describe('exchange declaration', () => {
  it('declares on first use with x-exchange-type (direct): keys route exactly, no patterns', async () => {
    const b = await startCompatBroker();
    const ex = nm('firstuse');
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/exchange/${ex}/a.#`, 'hash', { 'x-exchange-type': 'direct' });
    await sub.subscribe(`/exchange/${ex}/a.b`, 'exact');
    const pub = await b.connectTcp({}, 'pub');
    await publishAll(pub, ex, ['a.b', 'a.c', 'a']);
    // Direct: '#' is not a wildcard; only the exact key matches.
    expect(await bySubscription(sub)).toEqual({ exact: ['a.b'] });
  });

  it('SEND with * or # in the routing key of a direct exchange is a literal key', async () => {
    const ex = nm('literal');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'direct' }] });
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/exchange/${ex}/a.*`, 'star');
    await sub.subscribe(`/exchange/${ex}/a.#`, 'hash');
    const pub = await b.connectTcp({}, 'pub');
    // AMQP routing keys are plain strings: RabbitMQ accepts these and routes them literally.
    await publishAll(pub, ex, ['a.b', 'a.*', 'a.#']);
    expect(await bySubscription(sub)).toEqual({ star: ['a.*'], hash: ['a.#'] });
  });

  it('declares on first use from a SEND with x-exchange-type (fanout)', async () => {
    const b = await startCompatBroker();
    const ex = nm('sendfirst');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/${ex}/k`, 'declares', { 'x-exchange-type': 'fanout' });
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/exchange/${ex}/unrelated`, 'f');
    await pub.publish(`/exchange/${ex}/other`, 'fanned');
    expect(bodiesOf(await drainMessages(sub))).toEqual(['fanned']);
  });

  it('accepts re-declaring an exchange with the same type', async () => {
    const ex = nm('same');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'direct' }] });
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/exchange/${ex}/k`, 's', { 'x-exchange-type': 'direct' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/${ex}/k`, 'ok', { 'x-exchange-type': 'direct' });
    expect(bodiesOf(await drainMessages(sub))).toEqual(['ok']);
  });

  it('refuses declaring a configured exchange with another type', async () => {
    const ex = nm('conflict');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'direct' }] });
    const sub = await b.connectTcp({}, 'sub');
    await expectRefused(sub, 'SUBSCRIBE', {
      destination: `/exchange/${ex}/k`,
      id: 's',
      'x-exchange-type': 'fanout',
    });
  });

  it('refuses declaring an exchange first used as fanout as topic (another connection)', async () => {
    const b = await startCompatBroker();
    const ex = nm('conflict2');
    const first = await b.connectTcp({}, 'first');
    await first.subscribe(`/exchange/${ex}`, 'f', { 'x-exchange-type': 'fanout' });
    const second = await b.connectTcp({}, 'second');
    await expectRefused(second, 'SUBSCRIBE', {
      destination: `/exchange/${ex}/a.#`,
      id: 's',
      'x-exchange-type': 'topic',
    });
    // The first subscription is unaffected and the exchange is still fanout.
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/${ex}/anything`, 'still-fanout');
    expect(bodiesOf(await drainMessages(first))).toEqual(['still-fanout']);
  });

  it('refuses re-declaring a built-in exchange with another type', async () => {
    const b = await startCompatBroker();
    const c = await b.connectTcp({}, 'c');
    await expectRefused(c, 'SUBSCRIBE', {
      destination: '/exchange/amq.direct/k',
      id: 's',
      'x-exchange-type': 'fanout',
    });
  });

  it("refuses an unknown exchange type, naming it ('bogus')", async () => {
    const b = await startCompatBroker();
    const c = await b.connectTcp({}, 'c');
    const err = await expectRefused(c, 'SUBSCRIBE', {
      destination: `/exchange/${nm('bogus')}/k`,
      id: 's',
      'x-exchange-type': 'bogus',
    });
    expect(errorText(err)).toContain('bogus');
  });

  it("refuses an unknown exchange type on SEND, naming it ('bogus')", async () => {
    const b = await startCompatBroker();
    const c = await b.connectTcp({}, 'c');
    const err = await expectRefused(
      c,
      'SEND',
      { destination: `/exchange/${nm('bogus')}/k`, 'x-exchange-type': 'bogus' },
      'x',
    );
    expect(errorText(err)).toContain('bogus');
  });

  it("refuses a configured exchange of unknown type at start-up, naming it ('bogus')", async () => {
    await expect(
      startCompatBroker({ exchanges: [{ name: nm('cfg'), type: 'bogus' }] }),
    ).rejects.toThrow(/bogus/);
  });

  for (const dest of ['/exchange/', '/exchange//k']) {
    for (const command of ['SEND', 'SUBSCRIBE']) {
      it(`refuses the malformed destination ${dest} on ${command}`, async () => {
        const b = await startCompatBroker();
        const c = await b.connectTcp({}, 'c');
        const headers: Record<string, string> =
          command === 'SEND' ? { destination: dest } : { destination: dest, id: 's' };
        await expectRefused(c, command, headers, command === 'SEND' ? 'x' : '');
      });
    }
  }
});

describe('subscription queues', () => {
  it('a private subscription queue is deleted when the subscription ends', async () => {
    const ex = nm('private');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'direct' }] });
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/exchange/${ex}/k`, 's1');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/${ex}/k`, 'during');
    expect((await sub.message()).bodyText).toBe('during');
    await sub.unsubscribe('s1');
    await pub.publish(`/exchange/${ex}/k`, 'while-gone');
    await sub.subscribe(`/exchange/${ex}/k`, 's2');
    await pub.publish(`/exchange/${ex}/k`, 'after');
    expect(bodiesOf(await drainMessages(sub))).toEqual(['after']);
  });

  it('a private subscription queue is deleted when its connection ends', async () => {
    const ex = nm('privconn');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'fanout' }] });
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/exchange/${ex}`, 's', { ack: 'client' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/${ex}`, 'unacked');
    await sub.message();
    sub.destroy();
    await sub.closed;
    const next = await b.connectTcp({}, 'next');
    await next.subscribe(`/exchange/${ex}`, 's');
    await pub.publish(`/exchange/${ex}`, 'fresh');
    // The unacked message of the dead private queue is not handed to a new subscriber.
    expect(bodiesOf(await drainMessages(next))).toEqual(['fresh']);
  });

  it('x-queue-name + durable:true binds a named queue that collects while the subscriber is away', async () => {
    const ex = nm('named');
    const q = nm('Q');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'direct' }] });
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/exchange/${ex}/k`, 's', { 'x-queue-name': q, durable: 'true' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/${ex}/k`, 'live');
    expect((await sub.message()).bodyText).toBe('live');
    await sub.disconnect();
    await pub.publish(`/exchange/${ex}/k`, 'away-1');
    await pub.publish(`/exchange/${ex}/other`, 'not-bound');
    await pub.publish(`/exchange/${ex}/k`, 'away-2');
    expect(await browseBodies(b, `/queue/${q}`)).toEqual(['away-1', 'away-2']);
    // /queue/Q reads the same queue.
    const reader = await b.connectTcp({}, 'reader');
    await reader.subscribe(`/queue/${q}`, 'r');
    expect(bodiesOf(await reader.messages(2))).toEqual(['away-1', 'away-2']);
    expect(await drainMessages(reader)).toEqual([]);
  });

  it('re-subscribing to the named durable queue through the exchange gets what it collected', async () => {
    const ex = nm('resub');
    const q = nm('RQ');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'topic' }] });
    const headers = { 'x-queue-name': q, durable: 'true', 'auto-delete': 'false' };
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/exchange/${ex}/orders.#`, 's', headers);
    await sub.disconnect();
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/${ex}/orders.eu.new`, 'o1');
    await pub.publish(`/exchange/${ex}/invoices.eu`, 'i1');
    await pub.publish(`/exchange/${ex}/orders`, 'o2');
    const back = await b.connectTcp({}, 'back');
    await back.subscribe(`/exchange/${ex}/orders.#`, 's', headers);
    expect(bodiesOf(await back.messages(2))).toEqual(['o1', 'o2']);
    expect(await drainMessages(back)).toEqual([]);
  });
});

describe('queue arguments', () => {
  /** SUBSCRIBE a durable named queue bound to `ex`/`key` with `args`, then leave (disconnect). */
  async function declareAndLeave(
    b: BrokerContext,
    ex: string,
    key: string,
    q: string,
    args: Record<string, string>,
  ): Promise<void> {
    const c = await b.connectTcp({}, `declare-${q}`);
    await c.subscribe(`/exchange/${ex}/${key}`, 'd', {
      'x-queue-name': q,
      durable: 'true',
      'auto-delete': 'false',
      ...args,
    });
    await c.disconnect();
  }

  /**
   * SUBSCRIBE a named queue bound to `ex`/`key` with `args` and prefetch 1, publish one
   * message and keep it unacknowledged: the consumer stays, and later messages stay ready.
   */
  async function declareAndHold(
    b: BrokerContext,
    ex: string,
    key: string,
    q: string,
    args: Record<string, string>,
  ): Promise<{ holder: RawStompClient; held: Frame }> {
    const holder = await b.connectTcp({}, `holder-${q}`);
    await holder.subscribe(`/exchange/${ex}/${key}`, 'h', {
      'x-queue-name': q,
      durable: 'true',
      'auto-delete': 'false',
      ack: 'client-individual',
      'prefetch-count': '1',
      ...args,
    });
    const pub = await b.connectTcp({}, `hold-pub-${q}`);
    await pub.publish(key === '' ? `/exchange/${ex}` : `/exchange/${ex}/${key}`, 'held');
    const held = await holder.message();
    expect(held.bodyText).toBe('held');
    return { holder, held };
  }

  it('x-message-ttl (consumer attached): a message older than the TTL is never delivered', async () => {
    const ex = nm('ttlh');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'direct' }] });
    const { holder, held } = await declareAndHold(b, ex, 'k', nm('TTLH'), {
      'x-message-ttl': '100',
    });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/${ex}/k`, 'stale');
    await sleep(250); // the TTL has to pass: no event marks it
    await pub.publish(`/exchange/${ex}/k`, 'fresh');
    await settle(holder, 'ACK', held);
    const next = await holder.message();
    expect(next.bodyText).toBe('fresh');
  });

  it('x-max-length (consumer attached): ready messages beyond the limit drop the oldest', async () => {
    const ex = nm('mlh');
    const q = nm('MLH');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'fanout' }] });
    await declareAndHold(b, ex, '', q, { 'x-max-length': '2' });
    const pub = await b.connectTcp({}, 'pub');
    for (const m of ['m1', 'm2', 'm3', 'm4']) await pub.publish(`/exchange/${ex}`, m);
    expect(await browseBodies(b, `/queue/${q}`)).toEqual(['m3', 'm4']);
  });

  it('x-max-length + x-dead-letter-exchange (consumer attached): overflow goes to the DLX', async () => {
    const ex = nm('srch');
    const dlx = nm('dlxh');
    const q = nm('DLH');
    const b = await startCompatBroker({
      exchanges: [
        { name: ex, type: 'fanout' },
        { name: dlx, type: 'fanout' },
      ],
    });
    const dead = await b.connectTcp({}, 'dead');
    await dead.subscribe(`/exchange/${dlx}`, 'dead');
    await declareAndHold(b, ex, '', q, { 'x-max-length': '1', 'x-dead-letter-exchange': dlx });
    const pub = await b.connectTcp({}, 'pub');
    for (const m of ['m1', 'm2', 'm3']) await pub.publish(`/exchange/${ex}`, m);
    expect(await browseBodies(b, `/queue/${q}`)).toEqual(['m3']);
    expect(bodiesOf(await dead.messages(2))).toEqual(['m1', 'm2']);
    expect(await drainMessages(dead)).toEqual([]);
  });

  it('the first declaration wins (consumers attached); a second binding does not duplicate', async () => {
    const ex = nm('firsth');
    const q = nm('FH');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'direct' }] });
    await declareAndHold(b, ex, 'k', q, { 'x-max-length': '1' });
    // A second consumer declares the same queue with another limit, and takes one message.
    await declareAndHold(b, ex, 'k', q, { 'x-max-length': '5' });
    const pub = await b.connectTcp({}, 'pub');
    for (const m of ['a', 'b', 'c']) await pub.publish(`/exchange/${ex}/k`, m);
    expect(await browseBodies(b, `/queue/${q}`)).toEqual(['c']);
  });

  it('x-message-ttl: messages older than the TTL are not delivered', async () => {
    const ex = nm('ttl');
    const q = nm('TTLQ');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'direct' }] });
    await declareAndLeave(b, ex, 'k', q, { 'x-message-ttl': '100' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/${ex}/k`, 'stale');
    await sleep(250); // the TTL has to pass: no event marks it
    await pub.publish(`/exchange/${ex}/k`, 'fresh');
    const c = await b.connectTcp({}, 'c');
    await c.subscribe(`/queue/${q}`, 'r');
    expect(bodiesOf(await c.messages(1))).toEqual(['fresh']);
    expect(await drainMessages(c)).toEqual([]);
  });

  it('x-max-length: the oldest messages are dropped when exceeded', async () => {
    const ex = nm('maxlen');
    const q = nm('MLQ');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'fanout' }] });
    await declareAndLeave(b, ex, '', q, { 'x-max-length': '2' });
    const pub = await b.connectTcp({}, 'pub');
    for (const m of ['m1', 'm2', 'm3', 'm4']) await pub.publish(`/exchange/${ex}`, m);
    expect(await browseBodies(b, `/queue/${q}`)).toEqual(['m3', 'm4']);
  });

  it('x-max-length with x-dead-letter-exchange: overflow is dead-lettered to the DLX', async () => {
    const ex = nm('src');
    const dlx = nm('dlx');
    const q = nm('DLQ');
    const b = await startCompatBroker({
      exchanges: [
        { name: ex, type: 'fanout' },
        { name: dlx, type: 'fanout' },
      ],
    });
    const dead = await b.connectTcp({}, 'dead');
    await dead.subscribe(`/exchange/${dlx}`, 'dead');
    await declareAndLeave(b, ex, '', q, {
      'x-max-length': '1',
      'x-dead-letter-exchange': dlx,
    });
    const pub = await b.connectTcp({}, 'pub');
    for (const m of ['m1', 'm2', 'm3']) await pub.publish(`/exchange/${ex}`, m);
    expect(await browseBodies(b, `/queue/${q}`)).toEqual(['m3']);
    expect(bodiesOf(await dead.messages(2))).toEqual(['m1', 'm2']);
    expect(await drainMessages(dead)).toEqual([]);
  });

  it('x-dead-letter-routing-key replaces the routing key of dead-lettered messages', async () => {
    const ex = nm('src2');
    const dlx = nm('dlx2');
    const q = nm('DLRQ');
    const b = await startCompatBroker({
      exchanges: [
        { name: ex, type: 'direct' },
        { name: dlx, type: 'direct' },
      ],
    });
    const dead = await b.connectTcp({}, 'dead');
    await dead.subscribe(`/exchange/${dlx}/dead`, 'dead');
    await dead.subscribe(`/exchange/${dlx}/k`, 'original-key');
    await declareAndLeave(b, ex, 'k', q, {
      'x-max-length': '1',
      'x-dead-letter-exchange': dlx,
      'x-dead-letter-routing-key': 'dead',
    });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/${ex}/k`, 'first');
    await pub.publish(`/exchange/${ex}/k`, 'second');
    expect(await bySubscription(dead)).toEqual({ dead: ['first'] });
  });

  it('the first declaration of a queue wins; binding it again does not duplicate messages', async () => {
    const ex = nm('first');
    const q = nm('FQ');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'direct' }] });
    await declareAndLeave(b, ex, 'k', q, { 'x-max-length': '1' });
    await declareAndLeave(b, ex, 'k', q, { 'x-max-length': '5' });
    const pub = await b.connectTcp({}, 'pub');
    for (const m of ['a', 'b', 'c']) await pub.publish(`/exchange/${ex}/k`, m);
    expect(await browseBodies(b, `/queue/${q}`)).toEqual(['c']);
  });

  it('accepts queue arguments on a /queue/ SUBSCRIBE too (x-max-length)', async () => {
    const b = await startCompatBroker();
    const q = nm('plainq');
    const c = await b.connectTcp({}, 'c');
    await c.subscribe(`/queue/${q}`, 's', { 'x-max-length': '2', durable: 'true' });
    await c.disconnect();
    const pub = await b.connectTcp({}, 'pub');
    for (const m of ['1', '2', '3']) await pub.publish(`/queue/${q}`, m);
    expect(await browseBodies(b, `/queue/${q}`)).toEqual(['2', '3']);
  });

  const badArgs: Array<[string, string]> = [
    ['x-message-ttl', 'abc'],
    ['x-max-length', 'lots'],
    ['x-message-ttl', '10s'],
  ];
  for (const [arg, value] of badArgs) {
    it(`refuses ${arg}:${value} with an ERROR naming the value`, async () => {
      const ex = nm('badarg');
      const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'direct' }] });
      const c = await b.connectTcp({}, 'c');
      const err = await expectRefused(c, 'SUBSCRIBE', {
        destination: `/exchange/${ex}/k`,
        id: 's',
        [arg]: value,
      });
      expect(errorText(err)).toContain(value);
    });
  }
});

describe('exchanges with other STOMP features', () => {
  it('a SEND to an exchange inside a transaction is routed at COMMIT, and not at all after ABORT', async () => {
    const ex = nm('tx');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'direct' }] });
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/exchange/${ex}/k`, 's');
    const pub = await b.connectTcp({}, 'pub');
    await pub.sendWithReceipt('BEGIN', { transaction: 't1' });
    await pub.sendWithReceipt('SEND', { destination: `/exchange/${ex}/k`, transaction: 't1' }, 'a');
    await pub.sendWithReceipt('BEGIN', { transaction: 't2' });
    await pub.sendWithReceipt('SEND', { destination: `/exchange/${ex}/k`, transaction: 't2' }, 'b');
    expect(await drainMessages(sub)).toEqual([]);
    await pub.sendWithReceipt('ABORT', { transaction: 't2' });
    await pub.sendWithReceipt('COMMIT', { transaction: 't1' });
    expect(bodiesOf(await drainMessages(sub))).toEqual(['a']);
  });

  it('a selector on an exchange subscription filters its queue', async () => {
    const ex = nm('sel');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'fanout' }] });
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/exchange/${ex}`, 's', { selector: 'n > 1' });
    const pub = await b.connectTcp({}, 'pub');
    for (let n = 0; n < 4; n++) await pub.publish(`/exchange/${ex}`, `n${n}`, { n: String(n) });
    expect(bodiesOf(await drainMessages(sub))).toEqual(['n2', 'n3']);
  });

  it('a composite SEND may include an exchange part', async () => {
    const ex = nm('comp');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'direct' }] });
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/exchange/${ex}/k`, 'ex');
    const q = `/queue/${nm('compq')}`;
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/${ex}/k,${q}`, 'both');
    expect(bodiesOf(await drainMessages(sub))).toEqual(['both']);
    expect(await browseBodies(b, q)).toEqual(['both']);
  });

  it('a /queue/> wildcard subscriber does not consume private exchange subscription queues', async () => {
    const ex = nm('priv');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'fanout' }] });
    const owner = await b.connectTcp({}, 'owner');
    await owner.subscribe(`/exchange/${ex}`, 'mine', { ack: 'client-individual' });
    const thief = await b.connectTcp({}, 'thief');
    await thief.subscribe('/queue/>', 'all');
    const pub = await b.connectTcp({}, 'pub');
    for (let i = 0; i < 3; i++) await pub.publish(`/exchange/${ex}`, `p${i}`);
    expect(bodiesOf(await owner.messages(3))).toEqual(['p0', 'p1', 'p2']);
    expect(await drainMessages(thief)).toEqual([]);
  });
});

describe('exchange message headers', () => {
  it('passes application headers through an exchange', async () => {
    const ex = nm('hdrpass');
    const b = await startCompatBroker({ exchanges: [{ name: ex, type: 'direct' }] });
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(`/exchange/${ex}/k`, 's');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(`/exchange/${ex}/k`, 'h', { 'correlation-id': 'c1', app: 'v' });
    const f: Frame = await sub.message();
    expect(f.headers['correlation-id']).toBe('c1');
    expect(f.headers.app).toBe('v');
    expect(f.headers.subscription).toBe('s');
    expect(f.headers['message-id']).toBeTruthy();
  });
});
