/**
 * The durable store, on LMDB through lmdb-js.
 *
 * Layout: one LMDB environment in a single file, `<dataDir>/stompede.lmdb`
 * (plus LMDB's `<dataDir>/stompede.lmdb-lock`), opened with `noSubdir` so the
 * data directory holds just those two files and can be shared with other
 * Stompede state. Named sub-databases:
 *
 *   meta        'formatVersion' → STORE_FORMAT_VERSION              (msgpack)
 *   messages    [queue, seq]    → encoded StoredMessage             (binary, see encodeMessage)
 *   deliveries  [queue, seq]    → delivery count                    (msgpack number)
 *   durables    record key      → DurableSubscriptionRecord         (msgpack)
 *   history     [topic, seq]    → encoded StoredMessage             (binary)
 *
 * Keys are lmdb-js ordered-binary arrays, so one queue's entries are adjacent
 * and in seq order, and `[name, -Infinity]..[name, Infinity]` covers exactly
 * that name (a queue 'a' never sees 'ab', whose keys sort after all of 'a').
 *
 * Durability and group commit: writes go through lmdb-js's asynchronous
 * put/remove, which queue every write issued in one event turn into a single
 * transaction committed on lmdb-js's writer thread (no per-call transaction or
 * fsync on the main thread). lmdb-js's sync-to-disk defaults are kept: no
 * `noSync`, no `noMetaSync`, `commitDelay` 0 (commit on the next turn).
 * `overlappingSync` is left at its default (on, except Windows): LMDB releases
 * the write lock before syncing, so the next batch is built while this one is
 * being flushed, but the write's promise still resolves only after the data
 * `fdatasync` and the O_DSYNC write of the "flushed" meta page (see
 * mdb_txn_commit / writer.cpp in lmdb-js 3.5), i.e. once it is durable.
 * (`separateFlushed` is not set: with it, promises would resolve before the
 * flush.)
 */

import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RootDatabase } from 'lmdb';
import { IndexColumns, SeqKeyReader } from './lmdb-index.js';
import { open } from './lmdb-module.js';
import {
  checkDataFile,
  commitErrorOf,
  type Databases,
  damagedError,
  describeIoError,
  errno,
  errorText,
  ignoreCommitFailure,
  initialise,
  LMDB_DATABASES,
  LMDB_FILE_NAME,
  PERMISSION_CODES,
  permissionError,
  prepareDirectory,
  type SeqKey,
} from './lmdb-open.js';
import {
  decodeMessage,
  encodeMessage,
  RECORD_INDEX_DECODER,
  type RecordIndex,
  recordForPut,
} from './lmdb-records.js';
import { RecordArena } from './lmdb-write-buffers.js';
import {
  type DurableSubscriptionRecord,
  type RecoveredMessage,
  type RecoveredQueueIndex,
  type RecoveredState,
  type RecoverOptions,
  type Store,
  type StoredMessage,
  StoreOpenError,
  type StoreStats,
  StoreWriteError,
} from './store.js';

// Importers (tests, bench/lib/fill-store.mjs) take these from here, as before the split.
export { LMDB_DATABASES, LMDB_FILE_NAME } from './lmdb-open.js';
export { decodeMessage, encodeMessage } from './lmdb-records.js';

/**
 * When lmdb-js's writer thread starts on a turn's batch. By default it
 * starts once 1,000 writes are queued and then follows the main thread
 * write by write: whenever it has caught up it sleeps, and every later
 * write of the turn must wake it (a native call and a futex syscall, 8% of
 * the broker's main thread under the queue bench, issue 9). Started at the
 * end of the turn instead, it finds the whole batch written and is woken
 * once. Commit and durability are unchanged: the batch is still one
 * transaction, committed right after the turn. A turn past 100,000 writes
 * (a clean stop recording a million delivery counts) still starts it
 * early, so lmdb-js's instruction buffers stay bounded and its
 * backpressure applies. (`batchStartThreshold` is read by lmdb-js 3.5's
 * write.js but not in its typings.)
 */
const WRITER_START = { batchStartThreshold: 100_000 } as object;

// ---------------------------------------------------------------------------
// The store.
// ---------------------------------------------------------------------------

export class LmdbStore implements Store {
  readonly kind = 'lmdb' as const;
  readonly durable = true;
  /** The data file. */
  readonly path: string;

  private readonly root: RootDatabase;
  private readonly db: Databases;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Writes issued whose promise has not settled; close() and recover() wait for them. */
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  /** Set while the current event turn has issued writes (lmdb-js batches per turn). */
  private turnOpen = false;
  /**
   * lmdb-js answers every unconditional write of one batch with the same
   * promise: the last one seen, the promise write() made of it, and the
   * operations it covers. Writes that join it share that promise instead of
   * each making its own (issue 9: a promise and two closures per write).
   */
  private batchPending: PromiseLike<unknown> | null = null;
  private batchResult: Promise<void> | null = null;
  private batchOps: { count: number } = { count: 0 };

  /** The chunk records are encoded into (store/lmdb-write-buffers.ts). */
  private readonly arena = new RecordArena();

  private commits = 0;
  private writes = 0;
  private lastCommitMs = 0;
  onCommit: ((ms: number) => void) | null = null;
  private lastTxnId = 0;

  /** Open (creating if needed) the store in `dataDir`; throws StoreOpenError when it cannot be used. */
  static async open(dataDir: string): Promise<LmdbStore> {
    const dir = resolve(dataDir);
    const path = join(dir, LMDB_FILE_NAME);
    prepareDirectory(dir);
    const hasData = checkDataFile(path);
    let root: RootDatabase;
    try {
      // strictAsyncOrder: a transaction() callback (clearQueue, trimHistory)
      // runs at its place among the turn's writes — after the puts issued
      // before it, before those issued after — instead of at the batch's end.
      root = open({ path, noSubdir: true, maxDbs: 8, strictAsyncOrder: true, ...WRITER_START });
    } catch (err) {
      if (PERMISSION_CODES.has(errno(err) ?? '')) throw permissionError(path, err);
      throw damagedError(path, errorText(err));
    }
    try {
      return new LmdbStore(path, root, initialise(root, path, hasData));
    } catch (err) {
      await root.close().catch(() => {});
      if (err instanceof StoreOpenError) throw err;
      throw damagedError(path, errorText(err));
    }
  }

  private constructor(path: string, root: RootDatabase, db: Databases) {
    this.path = path;
    this.root = root;
    this.db = db;
    // Commits are counted from lmdb-js itself: 'aftercommit' fires once per
    // write transaction it resolves, with that transaction's id (undefined when
    // the commit failed). The id check skips lmdb-js's initial placeholder (0)
    // and could never count one transaction twice.
    root.on('aftercommit', (event: { txnId?: number }) => {
      const txnId = event?.txnId;
      if (typeof txnId === 'number' && txnId !== 0 && txnId !== this.lastTxnId) {
        this.lastTxnId = txnId;
        this.commits++;
      }
    });
  }

  async recover(options: RecoverOptions = {}): Promise<RecoveredState> {
    if (this.closed) throw new Error('store is closed');
    await this.idle();
    const { messages, deliveries, durables, history } = this.db;

    const counts = new Map<string, Map<number, number>>();
    for (const { key, value } of deliveries.getRange()) {
      let forQueue = counts.get(key[0]);
      if (!forQueue) {
        forQueue = new Map();
        counts.set(key[0], forQueue);
      }
      forQueue.set(key[1], value);
    }

    let maxSeq = 0;
    const queues = new Map<string, RecoveredMessage[]>();
    let queueIndex: Map<string, RecoveredQueueIndex> | undefined;
    if (options.lazy === true) {
      queueIndex = this.recoverQueueIndex(counts);
      for (const index of queueIndex.values()) {
        const last = index.seqs[index.seqs.length - 1] ?? 0;
        if (last > maxSeq) maxSeq = last;
      }
    }
    let current: RecoveredMessage[] | undefined;
    let currentName: string | undefined;
    for (const { key, value } of queueIndex === undefined ? messages.getRange() : []) {
      const [queue, seq] = key;
      if (queue !== currentName) {
        currentName = queue;
        current = [];
        queues.set(queue, current);
      }
      const forQueue = counts.get(queue);
      const count = forQueue?.get(seq) ?? 0;
      forQueue?.delete(seq);
      current!.push({ message: decodeMessage(seq, value), deliveries: count });
      if (seq > maxSeq) maxSeq = seq;
    }

    const topics = new Map<string, StoredMessage[]>();
    let currentTopic: StoredMessage[] | undefined;
    let currentTopicName: string | undefined;
    for (const { key, value } of history.getRange()) {
      const [topic, seq] = key;
      if (topic !== currentTopicName) {
        currentTopicName = topic;
        currentTopic = [];
        topics.set(topic, currentTopic);
      }
      currentTopic!.push(decodeMessage(seq, value));
      if (seq > maxSeq) maxSeq = seq;
    }

    const durableSubscriptions = Array.from(durables.getRange(), ({ value }) => value);

    // Delivery counts left over belong to messages already removed (a delivery
    // recorded just after its acknowledgement): tidy them away.
    const orphans: SeqKey[] = [];
    for (const [queue, forQueue] of counts) {
      for (const seq of forQueue.keys()) orphans.push([queue, seq]);
    }
    if (orphans.length > 0 && !this.closed) {
      await this.write(orphans.length, () => {
        // Normally all one promise (one transaction); wait on each distinct one.
        const pending = new Set<Promise<boolean>>();
        for (const key of orphans) pending.add(deliveries.remove(key));
        return Promise.all(pending);
      }).catch(() => {});
    }

    return queueIndex === undefined
      ? { queues, durableSubscriptions, history: topics, maxSeq }
      : { queues, queueIndex, durableSubscriptions, history: topics, maxSeq };
  }

  /**
   * Every stored queue message as an index entry (seq, priority, expiry,
   * delivery count), read in place from lmdb's buffer without copying or
   * decoding the record: with a million messages, decoding them all made
   * start-up take over a minute (issue 9). The index goes into typed arrays
   * sized from the database's entry count, so a million entries cost no
   * array growth and nothing for the garbage collector to trace.
   * Consumes `counts` like recover().
   */
  private recoverQueueIndex(
    counts: Map<string, Map<number, number>>,
  ): Map<string, RecoveredQueueIndex> {
    // lmdb-js takes a custom `encoder` (with decode) and `keyEncoder` per database; its typings omit both.
    const options = {
      name: LMDB_DATABASES.messages.name,
      encoder: RECORD_INDEX_DECODER,
      keyEncoder: new SeqKeyReader(),
    };
    const view = this.root.openDB<RecordIndex, SeqKey>(options as { name: string });
    const index = new IndexColumns((view.getStats() as { entryCount?: number }).entryCount ?? 0);
    const indexes = new Map<string, RecoveredQueueIndex>();
    let currentName: string | undefined;
    let first = 0;
    let forQueue: Map<number, number> | undefined;
    for (const { key, value } of view.getRange()) {
      // Indexing, not destructuring: this loop runs once per stored message.
      const queue = key[0];
      const seq = key[1];
      if (queue !== currentName) {
        if (currentName !== undefined) indexes.set(currentName, index.slice(first));
        currentName = queue;
        first = index.length;
        forQueue = counts.get(queue);
      }
      let deliveries = 0;
      if (forQueue !== undefined) {
        deliveries = forQueue.get(seq) ?? 0;
        forQueue.delete(seq);
      }
      index.push(seq, value.priority, value.expires, deliveries);
    }
    if (currentName !== undefined) indexes.set(currentName, index.slice(first));
    return indexes;
  }

  // appendQueueMessage and removeQueueMessage run once per persistent message
  // each: they call lmdb-js directly rather than through write()'s callback,
  // which cost a closure per call (issue 9).
  appendQueueMessage(queue: string, message: StoredMessage): Promise<void> {
    if (this.closed) return closedError();
    let pending: PromiseLike<unknown>;
    try {
      pending = this.db.messages.put([queue, message.seq], recordForPut(this.arena, message));
    } catch (err) {
      return refusedError(err);
    }
    return this.track(1, pending);
  }

  removeQueueMessage(queue: string, seq: number, deliveryRecord = true): Promise<void> {
    if (this.closed) return closedError();
    const key: SeqKey = [queue, seq];
    let pending: PromiseLike<unknown>;
    try {
      pending = this.db.messages.remove(key);
      if (deliveryRecord) {
        const forgotten = this.db.deliveries.remove(key);
        // Both land in this turn's transaction, so normally this is one promise.
        if (forgotten !== pending) pending = Promise.all([pending, forgotten]);
      }
    } catch (err) {
      return refusedError(err);
    }
    return this.track(deliveryRecord ? 2 : 1, pending);
  }

  recordDelivery(queue: string, seq: number, deliveries: number): Promise<void> {
    return this.write(1, () => this.db.deliveries.put([queue, seq], deliveries));
  }

  clearQueue(queue: string): Promise<void> {
    // A range removal inside the batch's write transaction: it runs in order
    // with the other writes of this turn, so it also sees (and removes)
    // messages appended earlier in the same turn.
    return this.write(
      (removed) => removed as number,
      () =>
        this.root.transaction(() => {
          let removed = 0;
          for (const db of [this.db.messages, this.db.deliveries]) {
            const keys = [...db.getKeys({ start: [queue, -Infinity], end: [queue, Infinity] })];
            for (const key of keys) db.remove(key);
            removed += keys.length;
          }
          return removed;
        }),
    );
  }

  browseQueue(queue: string, afterSeq: number, limit: number): StoredMessage[] {
    const result: StoredMessage[] = [];
    if (this.closed || !(limit > 0)) return result;
    const after = Number.isNaN(afterSeq) ? -Infinity : afterSeq;
    const range = this.db.messages.getRange({
      start: [queue, after],
      end: [queue, Infinity],
      exclusiveStart: true,
    });
    for (const { key, value } of range) {
      if (key[1] <= after) continue;
      result.push(decodeMessage(key[1], value));
      if (result.length >= limit) break;
    }
    return result;
  }

  saveDurableSubscription(record: DurableSubscriptionRecord): Promise<void> {
    const { key, clientId, name, destination, selector, queue, createdAt, owner } = record;
    const value: DurableSubscriptionRecord = {
      key,
      clientId,
      name,
      destination,
      selector,
      queue,
      createdAt,
    };
    if (owner !== undefined) value.owner = owner;
    return this.write(1, () => this.db.durables.put(key, value));
  }

  deleteDurableSubscription(key: string): Promise<void> {
    return this.write(1, () => this.db.durables.remove(key));
  }

  appendHistory(topic: string, message: StoredMessage): Promise<void> {
    return this.write(1, () => this.db.history.put([topic, message.seq], encodeMessage(message)));
  }

  trimHistory(topic: string, uptoSeq: number): Promise<void> {
    return this.write(
      (removed) => removed as number,
      () =>
        this.root.transaction(() => {
          const history = this.db.history;
          const keys = [
            ...history.getKeys({
              start: [topic, -Infinity],
              end: [topic, uptoSeq],
              inclusiveEnd: true,
            }),
          ];
          for (const key of keys) history.remove(key);
          return keys.length;
        }),
    );
  }

  stats(): StoreStats {
    let diskBytes = 0;
    for (const file of [this.path, `${this.path}-lock`]) {
      try {
        diskBytes += statSync(file).size;
      } catch {
        // missing: counts as 0
      }
    }
    return {
      commits: this.commits,
      writes: this.writes,
      diskBytes,
      lastCommitMs: this.lastCommitMs,
    };
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = this.idle().then(() => this.root.close());
    }
    return this.closing;
  }

  /**
   * Issue one write (or a few that belong together) and track it. `issue`
   * calls lmdb-js, which queues the write into the current turn's
   * transaction; the returned promise settles when that transaction is
   * durably committed (resolve) or failed (reject with StoreWriteError).
   */
  private write(
    ops: number | ((result: unknown) => number),
    issue: () => PromiseLike<unknown>,
  ): Promise<void> {
    if (this.closed) return closedError();
    let pending: PromiseLike<unknown>;
    try {
      pending = issue();
    } catch (err) {
      return refusedError(err);
    }
    return this.track(ops, pending);
  }

  /** Track a write lmdb-js has queued (see write()); `ops` counts it in stats().writes. */
  private track(
    ops: number | ((result: unknown) => number),
    pending: PromiseLike<unknown>,
  ): Promise<void> {
    this.noteTurn();
    if (pending === this.batchPending && typeof ops === 'number') {
      this.batchOps.count += ops;
      return this.batchResult!;
    }
    this.inflight++;
    const batchOps = { count: typeof ops === 'number' ? ops : 0 };
    const result = Promise.resolve(pending).then(
      (value) => {
        this.writes += typeof ops === 'number' ? batchOps.count : ops(value);
        this.settled();
      },
      async (err: unknown) => {
        const error = await this.toWriteError(err);
        this.settled();
        throw error;
      },
    );
    if (typeof ops === 'number') {
      this.batchPending = pending;
      this.batchResult = result;
      this.batchOps = batchOps;
    }
    return result;
  }

  /**
   * Once per event turn that issued writes, after lmdb-js has closed the
   * turn's batch (its setImmediate was queued by our first write, so it runs
   * just before ours): time the turn's commit, and attach a handler to
   * lmdb-js's own batch promise — when a commit fails, lmdb-js rejects an
   * internal promise nobody else holds, which would otherwise surface as an
   * unhandled rejection and take the process down.
   */
  private noteTurn(): void {
    if (this.turnOpen) return;
    this.turnOpen = true;
    const startedAt = performance.now();
    setImmediate(() => {
      this.turnOpen = false;
      this.root.committed.then(() => {
        this.lastCommitMs = performance.now() - startedAt;
        this.onCommit?.(this.lastCommitMs);
      }, ignoreCommitFailure);
    });
  }

  private async toWriteError(err: unknown): Promise<StoreWriteError> {
    if (err instanceof StoreWriteError) return err;
    let cause = err;
    const commitError = commitErrorOf(err);
    if (commitError) {
      // Already rejected by the time we get here; the timer is only a guard.
      let timer: NodeJS.Timeout | undefined;
      const detail = await Promise.race([
        Promise.resolve(commitError).then(
          () => undefined,
          (real: unknown) => real,
        ),
        new Promise<undefined>((done) => {
          timer = setTimeout(() => done(undefined), 1000);
        }),
      ]);
      clearTimeout(timer);
      if (detail !== undefined) cause = detail;
    }
    return new StoreWriteError(`could not commit to ${this.path}: ${describeIoError(cause)}`, {
      cause,
    });
  }

  private settled(): void {
    this.inflight--;
    if (this.inflight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private idle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((wake) => this.idleWaiters.push(wake));
  }
}

function closedError(): Promise<never> {
  return Promise.reject(new StoreWriteError('store is closed'));
}

/** lmdb-js refuses some writes synchronously (e.g. a key over 1978 bytes). */
function refusedError(err: unknown): Promise<never> {
  return Promise.reject(new StoreWriteError(`write refused: ${errorText(err)}`, { cause: err }));
}
