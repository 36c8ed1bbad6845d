import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../server/src/broker/pattern.js';
import { hasWildcard, SubscriptionTrie } from '../../../server/src/broker/subscription-trie.js';

function trieOf(entries: [string, string][]): SubscriptionTrie<string> {
  const trie = new SubscriptionTrie<string>();
  for (const [pattern, value] of entries) trie.add(pattern, value);
  return trie;
}

function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

describe('hasWildcard', () => {
  it('detects `*` and `>` segments only', () => {
    expect(hasWildcard('a.*.c')).toBe(true);
    expect(hasWildcard('*')).toBe(true);
    expect(hasWildcard('a.>')).toBe(true);
    expect(hasWildcard('>.a')).toBe(true);
    expect(hasWildcard('a.b')).toBe(false);
    expect(hasWildcard('a*.b')).toBe(false);
    expect(hasWildcard('a.>b')).toBe(false);
    expect(hasWildcard('a..b')).toBe(false);
    expect(hasWildcard('')).toBe(false);
  });
});

describe('SubscriptionTrie', () => {
  it('matches literal patterns only by the identical name', () => {
    const trie = trieOf([
      ['orders', 'o'],
      ['orders.eu', 'oe'],
      ['orders.us', 'ou'],
    ]);
    expect(trie.match('orders.eu')).toEqual(['oe']);
    expect(trie.match('orders')).toEqual(['o']);
    expect(trie.match('orders.eu.x')).toEqual([]);
    expect(trie.match('order')).toEqual([]);
    expect(trie.size).toBe(3);
  });

  it('matches `*` against exactly one segment', () => {
    const trie = trieOf([
      ['a.*', 'a*'],
      ['*', 'star'],
    ]);
    expect(trie.match('a.b')).toEqual(['a*']);
    expect(trie.match('a.')).toEqual(['a*']);
    expect(trie.match('a')).toEqual(['star']);
    expect(trie.match('a.b.c')).toEqual([]);
    expect(trie.match('')).toEqual(['star']);
  });

  it('matches `>` against one or more trailing segments, never zero', () => {
    const trie = trieOf([
      ['orders.>', 'o>'],
      ['>', 'all'],
    ]);
    expect(trie.match('orders.eu')).toEqual(['o>', 'all']);
    expect(trie.match('orders.eu.x')).toEqual(['o>', 'all']);
    expect(trie.match('orders')).toEqual(['all']);
    expect(trie.match('other.eu')).toEqual(['all']);
  });

  it('ignores whatever follows `>`, as matchesPattern does', () => {
    const trie = trieOf([['a.>.b', 'v']]);
    expect(matchesPattern('a.>.b', 'a.x')).toBe(true);
    expect(trie.match('a.x')).toEqual(['v']);
    expect(trie.match('a.x.y.z')).toEqual(['v']);
    expect(trie.match('a')).toEqual([]);
    expect(trie.remove('a.>.b', 'v')).toBe(true);
    expect(trie.match('a.x')).toEqual([]);
  });

  it('combines literal, `*` and `>` segments', () => {
    const trie = trieOf([
      ['a.*.c', 'a*c'],
      ['a.>', 'a>'],
      ['*.b.>', '*b>'],
      ['a.b.c', 'abc'],
    ]);
    expect(sorted(trie.match('a.b.c'))).toEqual(['*b>', 'a*c', 'a>', 'abc']);
    expect(sorted(trie.match('a.x.c'))).toEqual(['a*c', 'a>']);
    expect(sorted(trie.match('z.b.c'))).toEqual(['*b>']);
    expect(trie.match('z.b')).toEqual([]);
    expect(trie.match('a.b')).toEqual(['a>']);
    expect(trie.match('a')).toEqual([]);
  });

  it('treats empty segments as ordinary literals', () => {
    const trie = trieOf([
      ['a..b', 'empty'],
      ['a.', 'trailing'],
      ['', 'blank'],
      ['a.*.b', 'star'],
    ]);
    expect(sorted(trie.match('a..b'))).toEqual(['empty', 'star']);
    expect(trie.match('a.')).toEqual(['trailing']);
    expect(trie.match('')).toEqual(['blank']);
    expect(trie.match('.')).toEqual([]);
    expect(trie.match('a.b')).toEqual([]);
  });

  it('returns a value once per matching pattern it was added under', () => {
    const trie = trieOf([
      ['a.*', 'v'],
      ['a.>', 'v'],
      ['a.b', 'v'],
      ['x.y', 'v'],
    ]);
    expect(trie.match('a.b')).toEqual(['v', 'v', 'v']);
    expect(trie.match('a.c')).toEqual(['v', 'v']);
    expect(trie.size).toBe(4);
  });

  it('counts the same value added twice under one pattern and removes one at a time', () => {
    const trie = trieOf([
      ['a.b', 'v'],
      ['a.b', 'v'],
    ]);
    expect(trie.match('a.b')).toEqual(['v', 'v']);
    expect(trie.remove('a.b', 'v')).toBe(true);
    expect(trie.match('a.b')).toEqual(['v']);
    expect(trie.remove('a.b', 'v')).toBe(true);
    expect(trie.match('a.b')).toEqual([]);
    expect(trie.remove('a.b', 'v')).toBe(false);
    expect(trie.size).toBe(0);
  });

  it('removes only the given value under the given pattern', () => {
    const trie = trieOf([
      ['a.*', 'x'],
      ['a.*', 'y'],
      ['a.b', 'x'],
    ]);
    expect(trie.remove('a.*', 'x')).toBe(true);
    expect(trie.match('a.b')).toEqual(['x', 'y']);
    expect(trie.remove('a.*', 'x')).toBe(false);
    expect(trie.remove('a.>', 'y')).toBe(false);
    expect(trie.remove('a.b.c', 'x')).toBe(false);
    expect(trie.remove('zzz', 'x')).toBe(false);
    expect(trie.size).toBe(2);
  });

  it('prunes empty nodes so the trie returns to its empty shape', () => {
    const trie = new SubscriptionTrie<number>();
    const patterns = ['a.b.c', 'a.*.c', 'a.>', '*.>', 'a..b', '>', 'a', '*', 'a.b.c.d.e'];
    for (const [i, p] of patterns.entries()) trie.add(p, i);
    const empty = JSON.stringify(new SubscriptionTrie<number>());
    for (const [i, p] of [...patterns.entries()].reverse()) expect(trie.remove(p, i)).toBe(true);
    expect(trie.size).toBe(0);
    // Only the (now empty) cache and root remain: no dangling branches.
    const root = (trie as unknown as { root: object }).root;
    expect(root).toEqual({
      literals: undefined,
      one: undefined,
      rest: undefined,
      values: undefined,
    });
    expect(JSON.stringify(trie)).toBe(empty);
  });

  it('keeps shared prefixes when pruning a sibling branch', () => {
    const trie = trieOf([
      ['a.b.c', '1'],
      ['a.b.d', '2'],
      ['a.*.c', '3'],
    ]);
    expect(trie.remove('a.b.c', '1')).toBe(true);
    expect(trie.match('a.b.d')).toEqual(['2']);
    expect(trie.match('a.b.c')).toEqual(['3']);
    expect(trie.remove('a.*.c', '3')).toBe(true);
    expect(trie.match('a.x.c')).toEqual([]);
    expect(trie.match('a.b.d')).toEqual(['2']);
  });

  it('invalidates cached results when a matching wildcard is added or removed', () => {
    const trie = trieOf([['a.b', 'lit']]);
    expect(trie.match('a.b')).toEqual(['lit']);
    expect(trie.match('a.c')).toEqual([]);
    expect(trie.cacheSize).toBe(2);

    trie.add('a.>', 'wild');
    expect(trie.match('a.b')).toEqual(['lit', 'wild']);
    expect(trie.match('a.c')).toEqual(['wild']);

    expect(trie.remove('a.>', 'wild')).toBe(true);
    expect(trie.match('a.b')).toEqual(['lit']);
    expect(trie.match('a.c')).toEqual([]);
  });

  it('invalidates only the named entry when a literal pattern changes', () => {
    const trie = trieOf([['a.*', 'w']]);
    const ab = trie.match('a.b');
    const ac = trie.match('a.c');
    expect(trie.cacheSize).toBe(2);

    trie.add('a.b', 'lit');
    expect(trie.cacheSize).toBe(1);
    expect(trie.match('a.c')).toBe(ac);
    const ab2 = trie.match('a.b');
    expect(ab2).toEqual(['lit', 'w']);
    // Results handed out earlier are never mutated.
    expect(ab).toEqual(['w']);

    expect(trie.remove('a.b', 'lit')).toBe(true);
    expect(trie.match('a.b')).toEqual(['w']);
    expect(trie.match('a.c')).toBe(ac);
    expect(ab2).toEqual(['lit', 'w']);
  });

  it('does not invalidate the cache when remove finds nothing', () => {
    const trie = trieOf([['a.*', 'w']]);
    const ab = trie.match('a.b');
    expect(trie.remove('a.*', 'missing')).toBe(false);
    expect(trie.remove('a.>', 'w')).toBe(false);
    expect(trie.match('a.b')).toBe(ab);
  });

  it('reuses the cached array until the next change', () => {
    const trie = trieOf([
      ['a.*', 'x'],
      ['a.b', 'y'],
    ]);
    const first = trie.match('a.b');
    expect(trie.match('a.b')).toBe(first);
    trie.add('q.*', 'z');
    expect(trie.match('a.b')).not.toBe(first);
    expect(trie.match('a.b')).toEqual(first);
  });

  it('bounds the cache, evicting the oldest entry', () => {
    const trie = new SubscriptionTrie<string>({ maxCacheEntries: 3 });
    trie.add('>', 'all');
    const n0 = trie.match('n0');
    trie.match('n1');
    trie.match('n2');
    expect(trie.cacheSize).toBe(3);
    trie.match('n3');
    expect(trie.cacheSize).toBe(3);
    // n0 was evicted: a fresh (equal) array is computed.
    const again = trie.match('n0');
    expect(again).not.toBe(n0);
    expect(again).toEqual(['all']);
    expect(trie.cacheSize).toBe(3);
  });

  it('can run without a cache', () => {
    const trie = new SubscriptionTrie<string>({ maxCacheEntries: 0 });
    trie.add('a.*', 'x');
    expect(trie.match('a.b')).toEqual(['x']);
    expect(trie.cacheSize).toBe(0);
  });

  it('returns results in a stable order: insertion order within a pattern, literal before `*` before `>`', () => {
    const trie = new SubscriptionTrie<string>();
    trie.add('a.>', 'rest1');
    trie.add('a.*', 'one1');
    trie.add('a.b', 'lit1');
    trie.add('a.*', 'one2');
    trie.add('a.b', 'lit2');
    trie.add('a.>', 'rest2');
    const expected = ['lit1', 'lit2', 'one1', 'one2', 'rest1', 'rest2'];
    expect(trie.match('a.b')).toEqual(expected);
    // Unrelated changes and cache rebuilds keep the same order.
    trie.add('z.*', 'other');
    expect(trie.match('a.b')).toEqual(expected);
    expect(trie.remove('z.*', 'other')).toBe(true);
    expect(trie.match('a.b')).toEqual(expected);
    // The same content built in a different order gives the same pattern order.
    const other = new SubscriptionTrie<string>();
    for (const [p, v] of [
      ['a.b', 'lit1'],
      ['a.b', 'lit2'],
      ['a.>', 'rest1'],
      ['a.>', 'rest2'],
      ['a.*', 'one1'],
      ['a.*', 'one2'],
    ] as const) {
      other.add(p, v);
    }
    expect(other.match('a.b')).toEqual(expected);
  });

  it('agrees with matchesPattern over random operations', () => {
    // `a.>.b` and `a.>` are the same pattern (nothing after `>` counts); removal matches on that.
    const canonical = (p: string) => {
      const segments = p.split('.');
      const rest = segments.indexOf('>');
      return rest < 0 ? p : segments.slice(0, rest + 1).join('.');
    };
    const segment = fc.constantFrom('a', 'b', 'c', '');
    const patternSegment = fc.oneof(
      { weight: 3, arbitrary: segment },
      { weight: 1, arbitrary: fc.constantFrom('*', '>') },
    );
    const pattern = fc
      .array(patternSegment, { minLength: 1, maxLength: 4 })
      .map((s) => s.join('.'));
    const name = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('.'));
    const value = fc.integer({ min: 0, max: 3 });
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), pattern, value }),
      fc.record({ kind: fc.constant('remove' as const), pattern, value }),
      fc.record({ kind: fc.constant('match' as const), name }),
    );

    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 60 }),
        fc.integer({ min: 0, max: 4 }),
        (ops, maxCacheEntries) => {
          const trie = new SubscriptionTrie<number>({ maxCacheEntries });
          const model: { pattern: string; value: number }[] = [];
          for (const o of ops) {
            if (o.kind === 'add') {
              trie.add(o.pattern, o.value);
              model.push({ pattern: o.pattern, value: o.value });
            } else if (o.kind === 'remove') {
              const at = model.findIndex(
                (e) => canonical(e.pattern) === canonical(o.pattern) && e.value === o.value,
              );
              if (at >= 0) model.splice(at, 1);
              expect(trie.remove(o.pattern, o.value)).toBe(at >= 0);
            } else {
              const expected = model
                .filter((e) => matchesPattern(e.pattern, o.name))
                .map((e) => e.value)
                .sort();
              expect([...trie.match(o.name)].sort()).toEqual(expected);
            }
            expect(trie.size).toBe(model.length);
          }
          // Every name in the small alphabet, against the final state.
          for (const n of ['a', 'b', '', 'a.b', 'a.', 'a.b.c', 'c.c.c.c', '.', 'b..a']) {
            const expected = model
              .filter((e) => matchesPattern(e.pattern, n))
              .map((e) => e.value)
              .sort();
            expect([...trie.match(n)].sort()).toEqual(expected);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('handles 10k literal and 100 wildcard patterns over 100k matches', () => {
    const trie = new SubscriptionTrie<number>();
    for (let i = 0; i < 10_000; i++) trie.add(`svc${i % 100}.host${i}.cpu`, i);
    for (let i = 0; i < 100; i++) {
      trie.add(i % 2 === 0 ? `svc${i}.*.cpu` : `svc${i}.>`, 10_000 + i);
    }
    expect(trie.size).toBe(10_100);

    let total = 0;
    for (let i = 0; i < 100_000; i++) {
      const n = (i * 7919) % 20_000; // half hit a literal, half only wildcards
      total += trie.match(`svc${n % 100}.host${n}.cpu`).length;
    }
    // Each name matches its svc's wildcard; names below 10k also match their literal.
    expect(total).toBe(150_000);
    expect(trie.cacheSize).toBeLessThanOrEqual(10_000);
    expect(trie.match('svc3.host3.cpu')).toEqual([3, 10_003]);
    expect(trie.match('svc4.host4.cpu')).toEqual([4, 10_004]);
  });
});
