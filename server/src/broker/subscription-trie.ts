/**
 * Token trie of subscriptions keyed by destination name, modelled on
 * nats-server's sublist: patterns are split on `.` into a trie with separate
 * `*` and `>` branches, and match results are cached per concrete name until
 * the next change that could affect them.
 *
 * Names are the part after the type prefix (`logs.app.web` for
 * `/topic/logs.app.web`); callers keep one trie per destination kind.
 * Semantics agree with `matchesPattern` in `pattern.ts`:
 * - `*` matches exactly one segment;
 * - `>` matches one or more trailing segments, and anything after a `>` in a
 *   pattern is ignored (`a.>.b` is the same pattern as `a.>`);
 * - every other segment, including the empty one (`a..b`), is literal.
 */

const SEPARATOR = '.';
const ONE = '*';
const REST = '>';

/** Default bound on the number of cached match results. */
export const DEFAULT_MAX_CACHE_ENTRIES = 10_000;

export interface SubscriptionTrieOptions {
  /** Most match results kept; the oldest is evicted when full. 0 disables the cache. */
  maxCacheEntries?: number;
}

/** Values under one pattern, in insertion order, with a count for repeated adds. */
type Bucket<T> = Map<T, number>;

interface TrieNode<T> {
  /** Children for literal segments. */
  literals: Map<string, TrieNode<T>> | undefined;
  /** Child for a `*` segment. */
  one: TrieNode<T> | undefined;
  /** Values whose pattern ends here with `>` (one or more further segments). */
  rest: Bucket<T> | undefined;
  /** Values whose pattern ends exactly at this node. */
  values: Bucket<T> | undefined;
}

const EMPTY: readonly never[] = Object.freeze([]);

function newNode<T>(): TrieNode<T> {
  return { literals: undefined, one: undefined, rest: undefined, values: undefined };
}

function isEmptyNode<T>(node: TrieNode<T>): boolean {
  return (
    node.values === undefined &&
    node.rest === undefined &&
    node.one === undefined &&
    (node.literals === undefined || node.literals.size === 0)
  );
}

function pushBucket<T>(bucket: Bucket<T> | undefined, out: T[]): void {
  if (bucket === undefined) return;
  for (const [value, count] of bucket) {
    for (let i = 0; i < count; i++) out.push(value);
  }
}

/** Whether `name` has a segment equal to `*` or `>`. */
export function hasWildcard(name: string): boolean {
  let start = 0;
  for (;;) {
    const end = name.indexOf(SEPARATOR, start);
    const stop = end < 0 ? name.length : end;
    if (stop - start === 1) {
      const c = name[start];
      if (c === ONE || c === REST) return true;
    }
    if (end < 0) return false;
    start = end + 1;
  }
}

export class SubscriptionTrie<T> {
  private readonly root: TrieNode<T> = newNode();
  private readonly cache = new Map<string, readonly T[]>();
  private readonly maxCacheEntries: number;
  private count = 0;

  constructor(options: SubscriptionTrieOptions = {}) {
    const max = options.maxCacheEntries ?? DEFAULT_MAX_CACHE_ENTRIES;
    this.maxCacheEntries = Number.isFinite(max) && max > 0 ? Math.floor(max) : 0;
  }

  /** Number of (pattern, value) pairs. */
  get size(): number {
    return this.count;
  }

  /** Number of cached match results (for tests and metrics). */
  get cacheSize(): number {
    return this.cache.size;
  }

  /** Add `value` under `pattern` (literal or wildcard). The same value may be added under several patterns. */
  add(pattern: string, value: T): void {
    const segments = pattern.split(SEPARATOR);
    let node = this.root;
    let wildcard = false;
    let bucket: Bucket<T> | undefined;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      if (segment === REST) {
        wildcard = true;
        node.rest ??= new Map();
        bucket = node.rest;
        break;
      }
      if (segment === ONE) {
        wildcard = true;
        node.one ??= newNode();
        node = node.one;
      } else {
        node.literals ??= new Map();
        let child = node.literals.get(segment);
        if (child === undefined) {
          child = newNode();
          node.literals.set(segment, child);
        }
        node = child;
      }
    }
    if (bucket === undefined) {
      node.values ??= new Map();
      bucket = node.values;
    }
    bucket.set(value, (bucket.get(value) ?? 0) + 1);
    this.count++;
    this.invalidate(pattern, wildcard);
  }

  /** Remove one `value` under `pattern`; returns whether it was there. Prunes empty nodes. */
  remove(pattern: string, value: T): boolean {
    const segments = pattern.split(SEPARATOR);
    // path[j] is the node reached after consuming segments[0..j-1].
    const path: TrieNode<T>[] = [this.root];
    let node: TrieNode<T> | undefined = this.root;
    let wildcard = false;
    let rest = false;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      if (segment === REST) {
        wildcard = true;
        rest = true;
        break;
      }
      if (segment === ONE) {
        wildcard = true;
        node = node.one;
      } else {
        node = node.literals?.get(segment);
      }
      if (node === undefined) return false;
      path.push(node);
    }
    const bucket = rest ? node.rest : node.values;
    const had = bucket?.get(value);
    if (bucket === undefined || had === undefined) return false;
    if (had > 1) {
      bucket.set(value, had - 1);
    } else {
      bucket.delete(value);
      if (bucket.size === 0) {
        if (rest) node.rest = undefined;
        else node.values = undefined;
      }
    }
    this.count--;
    for (let j = path.length - 1; j > 0; j--) {
      const child = path[j]!;
      if (!isEmptyNode(child)) break;
      const parent = path[j - 1]!;
      const segment = segments[j - 1]!;
      if (segment === ONE) {
        parent.one = undefined;
      } else {
        parent.literals!.delete(segment);
        if (parent.literals!.size === 0) parent.literals = undefined;
      }
    }
    this.invalidate(pattern, wildcard);
    return true;
  }

  /**
   * Every value whose pattern matches the concrete `name`, once per pattern
   * it was added under. Order is stable between changes: depth-first with
   * literal children before `*` before `>`, values under one pattern in the
   * order first added. The array is cached and shared — never mutate it.
   */
  match(name: string): readonly T[] {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    const out: T[] = [];
    if (this.count > 0) this.collect(this.root, name.split(SEPARATOR), 0, out);
    const result: readonly T[] = out.length === 0 ? EMPTY : out;
    if (this.maxCacheEntries > 0) {
      if (this.cache.size >= this.maxCacheEntries) {
        // Evict the oldest insertion: O(1), and cheaper on hits than LRU bookkeeping.
        const oldest = this.cache.keys().next();
        if (oldest.done !== true) this.cache.delete(oldest.value);
      }
      this.cache.set(name, result);
    }
    return result;
  }

  /** Walk only the branches that can match `segments[i..]` from `node`. */
  private collect(node: TrieNode<T>, segments: string[], i: number, out: T[]): void {
    if (i === segments.length) {
      pushBucket(node.values, out);
      return;
    }
    const literal = node.literals?.get(segments[i]!);
    if (literal !== undefined) this.collect(literal, segments, i + 1, out);
    if (node.one !== undefined) this.collect(node.one, segments, i + 1, out);
    // At least one segment remains, so `>` here matches.
    pushBucket(node.rest, out);
  }

  /**
   * A literal pattern only matches the identical name, so only that entry can
   * be stale; a wildcard change may affect any name, so drop everything
   * (re-walking the trie is cheaper than testing every cached name).
   */
  private invalidate(pattern: string, wildcard: boolean): void {
    if (this.cache.size === 0) return;
    if (wildcard) this.cache.clear();
    else this.cache.delete(pattern);
  }
}
