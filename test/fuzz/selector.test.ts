/**
 * Property-based fuzzing of JMS selectors (SUBSCRIBE `selector`), which a
 * client hands the broker to compile once and evaluate on every message of
 * the destination, inside the broker's one event loop:
 *
 * - compiling any text either works or throws SelectorError (a clean ERROR
 *   for the client), never anything else: a RangeError, say, becomes an
 *   "internal error";
 * - evaluating a compiled selector on any headers returns a boolean, never throws;
 * - evaluation stays fast on short inputs (a selector must not let one client
 *   stall every other client of the broker).
 *
 * Budgets: see fuzz-config.ts (FUZZ_RUNS; `npm run fuzz` runs many more).
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { compileSelector, SelectorError } from '../../server/src/broker/selector/index.js';
import { PARSER_RUNS, params, runProperty, testTimeout, timeBudget } from './fuzz-config.js';
import { applyMutations, mutation } from './mutations.js';

const BUDGET_MS = 3_000;
/** Generous for a 2-core box: a well-behaved evaluation on these inputs takes microseconds. */
const SLOW_MS = 200;

const IDENTS = [
  'a',
  'b',
  'n',
  'color',
  'JMSPriority',
  'JMSType',
  'JMSMessageID',
  'JMSTimestamp',
  'JMSDeliveryMode',
  'JMSCorrelationID',
  'x_y',
  '$d',
  '"content-type"',
];

const ident = fc.constantFrom(...IDENTS);
const numberLiteral = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => String(Math.abs(d))),
  fc.constantFrom('0x1F', '1e308', '1E-5', '.5', '5.', '007', '9223372036854775808', '1L', '0'),
);
const stringLiteral = fc.string({ maxLength: 8 }).map((s) => `'${s.replace(/'/g, "''")}'`);

/**
 * LIKE patterns: at most four '%' and short header values below keep even a
 * backtracking implementation's worst case to about a second per evaluation,
 * so a slow evaluation fails the property instead of hanging it.
 */
const likePattern = fc
  .array(fc.constantFrom('%', '_', 'a', 'b', 'c', '!', '\\', "''"), { maxLength: 12 })
  .map((units) => {
    let wild = 0;
    return units.map((u) => (u === '%' && ++wild > 4 ? 'a' : u)).join('');
  });

const compareOp = fc.constantFrom('=', '<>', '<', '>', '<=', '>=');
const arithOp = fc.constantFrom('+', '-', '*', '/');

const { condition } = fc.letrec<{ arith: string; condition: string }>((tie) => ({
  arith: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    ident,
    numberLiteral,
    stringLiteral,
    fc.tuple(tie('arith'), arithOp, tie('arith')).map(([l, op, r]) => `${l} ${op} ${r}`),
    tie('arith').map((e) => `-${e}`),
    tie('arith').map((e) => `(${e})`),
  ),
  condition: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('TRUE', 'FALSE'),
    fc.tuple(tie('arith'), compareOp, tie('arith')).map(([l, op, r]) => `${l} ${op} ${r}`),
    fc
      .tuple(
        ident,
        fc.boolean(),
        likePattern,
        fc.option(fc.constantFrom('!', '\\', 'ab'), { nil: undefined }),
      )
      .map(
        ([id, not, pattern, escapeChar]) =>
          `${id} ${not ? 'NOT ' : ''}LIKE '${pattern}'${escapeChar === undefined ? '' : ` ESCAPE '${escapeChar}'`}`,
      ),
    fc
      .tuple(ident, fc.boolean(), fc.array(stringLiteral, { maxLength: 4 }))
      .map(([id, not, items]) => `${id} ${not ? 'NOT ' : ''}IN (${items.join(', ')})`),
    fc
      .tuple(tie('arith'), fc.boolean(), tie('arith'), tie('arith'))
      .map(([v, not, lo, hi]) => `${v} ${not ? 'NOT ' : ''}BETWEEN ${lo} AND ${hi}`),
    fc.tuple(ident, fc.boolean()).map(([id, not]) => `${id} IS ${not ? 'NOT ' : ''}NULL`),
    tie('condition').map((c) => `NOT ${c}`),
    fc
      .tuple(tie('condition'), fc.constantFrom('AND', 'OR'), tie('condition'))
      .map(([l, op, r]) => `${l} ${op} ${r}`),
    tie('condition').map((c) => `(${c})`),
  ),
}));

/** Deep nesting of one construct: a recursive-descent parser must refuse it, not overflow. */
const deep = fc
  .tuple(
    fc.constantFrom(
      (d: number) => `${'('.repeat(d)}a = 1${')'.repeat(d)}`,
      (d: number) => `${'NOT '.repeat(d)}a = 1`,
      (d: number) => `a = ${'-'.repeat(d)}1`,
      (d: number) => `a = ${'('.repeat(d)}1${')'.repeat(d)}`,
      (d: number) => `${'a = 1 AND '.repeat(d)}a = 1`,
      (d: number) => `a = ${'1 + '.repeat(d)}1`,
    ),
    // Up to what fits in the default maxHeaderLineLength (8 KiB).
    fc.integer({ min: 1, max: 4000 }),
  )
  .map(([make, d]) => make(d).slice(0, 8 * 1024 - 'selector:'.length));

/** Selector text: well-formed, deeply nested, or either mutated at the byte level. */
const selectorText = fc.oneof(
  { weight: 4, arbitrary: condition },
  { weight: 1, arbitrary: deep },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.oneof(condition, deep), fc.array(mutation, { minLength: 1, maxLength: 4 }))
      .map(([text, ms]) =>
        Buffer.from(applyMutations(new TextEncoder().encode(text), ms)).toString('utf8'),
      ),
  },
);

const headerValue = fc.oneof(
  fc.constantFrom('1', '-1', '0', '1.5', '1e400', 'NaN', 'true', 'false', '', 'red', 'x%', '9'),
  fc.string({ maxLength: 12 }),
  // Long runs of what the LIKE patterns are made of.
  fc
    .tuple(fc.constantFrom('a', 'ab', 'b', '_'), fc.integer({ min: 0, max: 200 }))
    .map(([unit, n]) => unit.repeat(n).slice(0, 200)),
);

const headers = fc.dictionary(
  fc.constantFrom(...IDENTS.map((i) => i.replace(/"/g, ''))),
  headerValue,
  { maxKeys: 6, noNullPrototype: true },
);

function check(text: string, samples: Record<string, string>[], timed: boolean): void {
  let started = performance.now();
  let selector: ((h: Record<string, string>) => boolean) | undefined;
  let refused: unknown;
  try {
    selector = compileSelector(text);
  } catch (err) {
    refused = err;
  }
  const compileMs = performance.now() - started;
  if (timed && compileMs > SLOW_MS) throw new Error(`compiling took ${Math.round(compileMs)} ms`);
  if (selector === undefined) {
    if (!(refused instanceof SelectorError)) {
      const what =
        refused instanceof Error ? `${refused.name}: ${refused.message}` : String(refused);
      throw new Error(`compiling threw ${what}, not a SelectorError`);
    }
    if (typeof refused.detail !== 'string' || refused.code !== 'invalid-selector') {
      throw new Error('SelectorError without code/detail');
    }
    return;
  }
  for (const h of samples) {
    started = performance.now();
    let result: unknown;
    try {
      result = selector(h);
    } catch (err) {
      const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new Error(`evaluating on ${JSON.stringify(h)} threw ${what}`);
    }
    const ms = performance.now() - started;
    if (typeof result !== 'boolean') throw new Error(`evaluation returned ${String(result)}`);
    if (timed && ms > SLOW_MS) {
      throw new Error(
        `evaluating took ${Math.round(ms)} ms on ${JSON.stringify(h)}: the broker's event loop (every client) waits that long per message`,
      );
    }
  }
}

/**
 * LIKE on its own, where patterns and values share one small alphabet so that
 * the pattern's literals keep (almost) matching: the case a backtracking
 * matcher handles worst.
 */
const likeCase = fc.record({
  pattern: fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: fc.constant('%') },
        { weight: 3, arbitrary: fc.constant('a') },
        { weight: 1, arbitrary: fc.constantFrom('b', '_') },
      ),
      { maxLength: 10 },
    )
    .map((units) => {
      let wild = 0;
      return units.map((u) => (u === '%' && ++wild > 4 ? 'a' : u)).join('');
    }),
  value: fc.oneof(
    fc
      .tuple(fc.constantFrom('a', 'ab', 'aab'), fc.integer({ min: 0, max: 200 }))
      .map(([unit, n]) => unit.repeat(n).slice(0, 200)),
    fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 200 }),
  ),
});

describe('selector fuzzing (fast-check)', () => {
  const samples = fc.array(headers, { minLength: 1, maxLength: 3 });

  it(
    'compiles or refuses with a SelectorError, and evaluates to a boolean without throwing',
    () => {
      runProperty(
        'selector: robustness',
        fc.property(selectorText, samples, (text, hs) => check(text, hs, false)),
        params(PARSER_RUNS, timeBudget(BUDGET_MS)),
      );
    },
    testTimeout(BUDGET_MS),
  );

  it(
    'compiles and evaluates well-formed selectors on short headers quickly',
    () => {
      runProperty(
        'selector: speed',
        fc.property(condition, samples, (text, hs) => check(text, hs, true)),
        params(PARSER_RUNS, timeBudget(BUDGET_MS)),
      );
      runProperty(
        'selector: LIKE speed',
        fc.property(likeCase, ({ pattern, value }) =>
          check(`b LIKE '${pattern}'`, [{ b: value }], true),
        ),
        params(PARSER_RUNS * 2, timeBudget(BUDGET_MS)),
      );
    },
    testTimeout(BUDGET_MS),
  );
});
