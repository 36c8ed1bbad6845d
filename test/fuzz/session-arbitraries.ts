/**
 * Conversations for the session fuzzer: a CONNECT (usually), then a run of
 * valid-ish client frames drawn from pools of the headers the broker reads
 * (destinations of every kind, selectors, prefetch, durable names, history,
 * transactions, acks…), some of them mutated at the byte level, plus raw
 * garbage, heart-beats and short pauses.
 */
import fc from 'fast-check';
import { type Mutation, mutation } from './mutations.js';

export type Header = [string, string];

export interface FrameStep {
  kind: 'frame';
  command: string;
  headers: Header[];
  body: string;
  /** Add content-length (the helper encoder's default) or let the body run to the NUL. */
  contentLength: boolean;
  mutations: Mutation[];
  /** Cut points: the frame is written in pieces, with an event-loop turn between them. */
  splits: number[];
}

export type Step =
  | FrameStep
  | { kind: 'raw'; bytes: number[] }
  | { kind: 'heartbeat'; crlf: boolean }
  /** ACK or NACK the latest MESSAGE received, with the headers it came with. */
  | { kind: 'ack-last'; command: 'ACK' | 'NACK'; transaction: string | null; receipt: boolean }
  | { kind: 'pause'; ms: number };

export interface SessionCase {
  /** Tame cases are repaired to avoid refusals the broker must make, so they get deep. */
  tame: boolean;
  steps: Step[];
}

/** Header values the broker accepts (mostly), and values it must refuse cleanly. */
type Pool = Array<[name: string, good: string[], bad: string[]]>;

const GOOD_DESTINATIONS = [
  '/queue/fz.a',
  '/queue/fz.b',
  '/amq/queue/fz.a',
  '/topic/fz.t',
  '/topic/fz.*',
  '/topic/fz.>',
  '/exchange/amq.topic/fz.t',
  '/topic/VirtualTopic.fz',
  '/queue/Consumer.A.VirtualTopic.fz',
  '/temp-queue/tq',
  '/temp-topic/tt',
  '/exchange/fzx',
  '/exchange/fzx/k.1',
  '/exchange/amq.direct/fz.a',
  '/exchange/amq.fanout',
  '/exchange/amq.headers',
  '/reply-queue/rq',
  '/queue/DLQ.fz.a',
  '/queue/fz.a,/topic/fz.t',
  '/queue/fz.é€😀',
];

const BAD_DESTINATIONS = [
  '/queue/',
  '/topic/',
  '/exchange/',
  '/exchange//k',
  'queue/fz',
  '',
  '/',
  '/reply-topic/rt',
  `/queue/${'x'.repeat(300)}`,
];

const GOOD_SELECTORS = [
  "color = 'red'",
  'n > 3 AND n < 10',
  'JMSPriority > 4',
  'JMSType IS NULL',
  "a IN ('x','y')",
  "b LIKE 'x%'",
  "b LIKE 'x!%' ESCAPE '!'",
  'NOT (n BETWEEN 1 AND 2)',
  'n + 1 * 2 / 0 = 1',
  'x = 1e308 * 10',
  'TRUE',
  'a.b.c = 1',
  '',
  `${'NOT '.repeat(1500)}a = 1`,
  `${'a = 1 OR '.repeat(500)}a = 1`,
  // Several % in one LIKE: a backtracking RegExp would take time polynomial of high degree.
  "b LIKE '%a%a%a%c'",
];

const BAD_SELECTORS = [
  '((((((',
  "'unterminated",
  'a = ',
  '1',
  'a = = 1',
  // Nesting deep enough to overflow a recursive-descent parser's stack (within maxHeaderLineLength).
  `${'('.repeat(4000)}a = 1${')'.repeat(4000)}`,
];

const SEND_POOL: Pool = [
  ['receipt', ['r-send'], ['']],
  ['transaction', ['tx1', 'tx2'], ['', 'tx3']],
  ['reply-to', ['/temp-queue/reply', '/queue/fz.b', '/reply-queue/x'], ['bogus', '']],
  ['expires', ['0', '9999999999999'], ['1', '-5', 'abc', '99999999999999999']],
  ['priority', ['0', '4', '9'], ['10', '-1', 'x', '']],
  ['persistent', ['true', 'false'], []],
  ['content-type', ['text/plain', 'application/json'], ['']],
  ['color', ['red', 'blue'], []],
  ['n', ['1', '5'], ['x', '1e400']],
  ['a', ['x', '1'], []],
  ['b', ['xyz', 'x%', 'a'.repeat(250)], []],
  ['JMSType', ['t'], []],
  ['x-exchange-type', [], ['direct', 'fanout', 'bogus']],
  ['message-id', ['m-1'], []],
  ['subscription', ['0'], []],
  ['content-length', [], ['0', '3', '-1', 'x', '99999999']],
];

const SUBSCRIBE_POOL: Pool = [
  ['receipt', ['r-sub'], ['']],
  ['ack', ['auto', 'client', 'client-individual'], ['bogus', '']],
  ['selector', GOOD_SELECTORS, BAD_SELECTORS],
  ['activemq.prefetchSize', ['1', '2'], ['0', '-1', '1e3', '1000001', 'abc']],
  ['prefetch-count', ['1', '3'], ['0', 'x']],
  ['browser', ['true', 'false'], []],
  ['activemq.subscriptionName', ['dur1', 'dur2'], ['']],
  ['durable', ['true', 'false'], []],
  ['auto-delete', ['true', 'false'], []],
  ['x-queue-name', ['fzq', 'amq.gen'], ['']],
  ['activemq.exclusive', ['true'], []],
  ['activemq.noLocal', ['true'], []],
  ['x-presence', ['p1'], ['']],
  ['x-history-last', ['0', '3'], ['-1', 'abc', '99999999999999999']],
  ['x-history-since', ['0', '1'], ['x']],
  ['x-history-after', ['m-1'], ['']],
  ['x-stream-offset', ['first', 'last', 'next', 'timestamp=0'], ['timestamp=x', '5']],
  ['x-max-length', ['1', '0'], ['-1', 'x']],
  ['x-message-ttl', ['0', '10'], ['-1', 'x']],
  ['x-dead-letter-exchange', ['fzx', 'amq.topic'], ['']],
  ['x-dead-letter-routing-key', ['k'], []],
  ['x-exchange-type', ['direct', 'fanout', 'topic', 'headers'], ['bogus', '']],
  ['x-match', ['all', 'any'], ['bogus']],
];

const ACK_POOL: Pool = [
  ['id', ['1.1', '1.2', '1.3', '2.1'], ['0.0', '1', 'x', '-1.1', '1.99999999999999999', '']],
  ['message-id', ['m-1'], ['']],
  ['subscription', ['0', '1', 's'], []],
  ['transaction', ['tx1', 'tx2'], []],
  ['receipt', ['r-ack'], []],
  ['requeue', ['false', 'true'], []],
];

const CONNECT_POOL: Pool = [
  ['accept-version', ['1.0', '1.1', '1.2', '1.1,1.2', ' 1.2 ', '1.2,1.2'], ['2.0', '']],
  ['host', ['localhost', '', 'x'], []],
  ['login', ['guest', ''], []],
  ['passcode', ['guest'], []],
  [
    'heart-beat',
    ['0,0', '10,10', '0,30', '30,0'],
    ['x', '1,2,3', '-5,5', '99999999999999999999,1'],
  ],
  ['client-id', ['c1', 'c2'], ['']],
  ['x-compat', ['stompede', 'activemq', 'rabbitmq'], ['bogus']],
  ['x-resume', ['', 'tok'], []],
  ['x-resume-after', ['m-1'], []],
  ['receipt', ['r-conn'], []],
];

const TX_POOL: Pool = [
  ['receipt', ['r-tx'], []],
  ['transaction', [], ['', 'tx3']],
];

const UNSUBSCRIBE_POOL: Pool = [
  ['id', [], ['']],
  ['destination', GOOD_DESTINATIONS.slice(0, 4), []],
  ['activemq.subscriptionName', [], ['dur1']],
  ['durable', [], ['true']],
  ['receipt', ['r-unsub'], []],
];

/** Free-form text for header names and values. */
const text = fc.string({ maxLength: 24 });
const anyHeader: fc.Arbitrary<Header> = fc.tuple(text, text);

const weighted = <T>(...options: Array<[number, fc.Arbitrary<T>]>): fc.Arbitrary<T> =>
  fc.oneof(...options.filter(([w]) => w > 0).map(([weight, arbitrary]) => ({ weight, arbitrary })));

const never: fc.Arbitrary<never> = fc.constant(undefined as never);

/**
 * Case generators at one level of hostility. Tame cases use only values the
 * broker accepts (so conversations get deep: subscriptions, deliveries, acks,
 * transactions); hostile ones mix in refused values, free text, byte-level
 * mutations and raw garbage.
 */
function generators(hostile: boolean) {
  const h = hostile ? 1 : 0;

  function pooled(pool: Pool): fc.Arbitrary<Header> {
    const pick = (which: 1 | 2) => {
      const entries = pool.filter((entry) => entry[which].length > 0);
      if (entries.length === 0) return [0, never] as [number, fc.Arbitrary<Header>];
      const arb = fc
        .constantFrom(...entries)
        .chain((entry) => fc.tuple(fc.constant(entry[0]), fc.constantFrom(...entry[which])));
      return [which === 1 ? 20 : 3 * h, arb] as [number, fc.Arbitrary<Header>];
    };
    return weighted<Header>(
      pick(1),
      pick(2),
      [h, fc.constantFrom(...pool).chain(([n]) => fc.tuple(fc.constant(n), text))],
      [h, anyHeader],
    );
  }

  const destination = weighted<string>(
    [30, fc.constantFrom(...GOOD_DESTINATIONS)],
    [2 * h, fc.constantFrom(...BAD_DESTINATIONS)],
    [h, text],
  );

  const required = (name: string, values: fc.Arbitrary<string>) =>
    weighted<Header[]>(
      [30, values.map((v): Header[] => [[name, v]])],
      [h, fc.constant<Header[]>([])],
    );

  const frame = (
    command: fc.Arbitrary<string>,
    base: fc.Arbitrary<Header[]>,
    extra: Pool,
    maxExtra: number,
  ): fc.Arbitrary<FrameStep> =>
    fc.record({
      kind: fc.constant('frame' as const),
      command,
      headers: fc
        .tuple(base, fc.array(pooled(extra), { maxLength: maxExtra }))
        .map(([b, e]) => [...b, ...e]),
      body: weighted<string>(
        [4, fc.constant('')],
        [4, fc.string({ maxLength: 40 })],
        [1, fc.string({ minLength: 1000, maxLength: 3000 })],
      ),
      contentLength: weighted<boolean>([4, fc.constant(true)], [1, fc.constant(false)]),
      mutations: weighted<Mutation[]>(
        [8, fc.constant([])],
        [h, fc.array(mutation, { minLength: 1, maxLength: 3 })],
      ),
      splits: weighted<number[]>([3, fc.constant([])], [1, fc.array(fc.nat(), { maxLength: 4 })]),
    });

  const connectFrame = frame(
    weighted<string>([4, fc.constant('CONNECT')], [1, fc.constant('STOMP')]),
    weighted<Header[]>([4, fc.constant([['accept-version', '1.0,1.1,1.2']])], [1, fc.constant([])]),
    CONNECT_POOL,
    3,
  );

  const clientFrame = weighted<FrameStep>(
    [20, frame(fc.constant('SEND'), required('destination', destination), SEND_POOL, 3)],
    [
      14,
      frame(
        fc.constant('SUBSCRIBE'),
        fc
          .tuple(
            required('destination', destination),
            required('id', fc.constantFrom('0', '1', 's')),
          )
          .map(([d, i]) => [...d, ...i]),
        SUBSCRIBE_POOL,
        3,
      ),
    ],
    [
      3,
      frame(
        fc.constant('UNSUBSCRIBE'),
        required('id', fc.constantFrom('0', '1', 's')),
        UNSUBSCRIBE_POOL,
        2,
      ),
    ],
    [h, frame(fc.constantFrom('ACK', 'NACK'), fc.constant([]), ACK_POOL, 2)],
    [
      5,
      frame(
        fc.constant('BEGIN'),
        required('transaction', fc.constantFrom('tx1', 'tx2')),
        TX_POOL,
        1,
      ),
    ],
    [
      3,
      frame(
        fc.constantFrom('COMMIT', 'ABORT'),
        required('transaction', fc.constantFrom('tx1', 'tx2')),
        TX_POOL,
        1,
      ),
    ],
    [h, connectFrame],
    [1, frame(fc.constant('DISCONNECT'), fc.constant([]), [['receipt', ['r-disc'], []]], 1)],
    [
      h,
      frame(
        fc.string({
          unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
          minLength: 1,
          maxLength: 10,
        }),
        fc.constant([]),
        SEND_POOL,
        2,
      ),
    ],
  );

  const step = weighted<Step>(
    [40, clientFrame],
    [
      h,
      fc.record({
        kind: fc.constant('raw' as const),
        bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 32 }),
      }),
    ],
    [2, fc.record({ kind: fc.constant('heartbeat' as const), crlf: fc.boolean() })],
    [
      8,
      fc.record({
        kind: fc.constant('ack-last' as const),
        command: fc.constantFrom<'ACK' | 'NACK'>('ACK', 'NACK'),
        transaction: fc.option(fc.constantFrom('tx1', 'tx2'), { freq: 3, nil: null }),
        receipt: fc.boolean(),
      }),
    ],
    [2, fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 30 }) })],
  );

  return fc
    .tuple(
      weighted<Step[]>([19, connectFrame.map((c): Step[] => [c])], [h, fc.constant([])]),
      fc.array(step, { maxLength: 20 }),
    )
    .map(([connect, steps]): SessionCase => {
      const all = [...connect, ...steps];
      return hostile ? { tame: false, steps: all } : { tame: true, steps: repair(all) };
    });
}

const header = (f: FrameStep, name: string) => f.headers.find(([n]) => n === name)?.[1];
const without = (f: FrameStep, ...names: string[]): FrameStep => ({
  ...f,
  headers: f.headers.filter(([n]) => !names.includes(n)),
});

/**
 * Make a tame conversation coherent, deterministically (so it still shrinks):
 * open a transaction before using it, subscribe with a fresh id, unsubscribe
 * only what exists, never send to a wildcard, name a client-id before any
 * durable subscription. Everything else the broker would refuse stays out of
 * tame cases by construction.
 */
function repair(steps: Step[]): Step[] {
  const out: Step[] = [];
  const open = new Set<string>();
  const subscribed = new Set<string>();
  let clientId = false;
  for (const step of steps) {
    if (step.kind === 'ack-last') {
      out.push(
        step.transaction !== null && !open.has(step.transaction)
          ? { ...step, transaction: null }
          : step,
      );
      continue;
    }
    if (step.kind !== 'frame') {
      out.push(step);
      continue;
    }
    let f = step;
    const tx = header(f, 'transaction');
    switch (f.command) {
      case 'CONNECT':
      case 'STOMP':
        clientId = header(f, 'client-id') !== undefined;
        break;
      case 'BEGIN':
        if (tx === undefined || open.has(tx)) continue;
        if (open.size >= 2) continue;
        open.add(tx);
        break;
      case 'COMMIT':
      case 'ABORT':
        if (tx === undefined || !open.has(tx)) continue;
        open.delete(tx);
        break;
      case 'SEND': {
        const destination = header(f, 'destination') ?? '';
        if (/[*>]/.test(destination)) {
          f = {
            ...without(f, 'destination'),
            headers: [['destination', '/topic/fz.t'], ...without(f, 'destination').headers],
          };
        }
        if (tx !== undefined && !open.has(tx)) f = without(f, 'transaction');
        break;
      }
      case 'SUBSCRIBE': {
        const id = header(f, 'id');
        if (id === undefined || subscribed.has(id) || subscribed.size >= 4) continue;
        if (header(f, 'destination')?.startsWith('/reply-')) continue;
        if (!clientId) f = without(f, 'activemq.subscriptionName', 'durable');
        subscribed.add(id);
        break;
      }
      case 'UNSUBSCRIBE': {
        const id = header(f, 'id');
        if (id === undefined || !subscribed.has(id)) continue;
        f = without(f, 'activemq.subscriptionName', 'durable');
        subscribed.delete(id);
        break;
      }
    }
    out.push(f);
  }
  return out;
}

/** Half tame (deep conversations), half hostile (refused values, mutations, garbage). */
export const sessionCase: fc.Arbitrary<SessionCase> = fc.oneof(generators(false), generators(true));
