/**
 * The non-durable store: everything lives in Maps and is gone on restart.
 *
 * It keeps the same semantics as the LMDB store so the broker can run against
 * either: writes apply at once (so a later read in the same tick sees them),
 * and their promises resolve together on one microtask per synchronous run of
 * writes — one "commit" per batch, like LMDB's group commit.
 *
 * Messages are kept by reference and treated as immutable.
 */

import {
  type DurableSubscriptionRecord,
  type RecoveredMessage,
  type RecoveredState,
  type Store,
  type StoredMessage,
  type StoreStats,
  StoreWriteError,
} from './store.js';

interface Entry {
  message: StoredMessage;
  deliveries: number;
}

/**
 * One queue's (or topic's history) messages keyed by seq. A Map iterates in
 * insertion order, so while seqs arrive in increasing order (the normal case)
 * iteration is seq order with O(1) append and remove; an out-of-order append
 * rebuilds the Map sorted (rare, O(n)).
 */
class SeqMap {
  private entries = new Map<number, Entry>();
  private lastSeq = Number.NEGATIVE_INFINITY;

  get size(): number {
    return this.entries.size;
  }

  set(message: StoredMessage): void {
    const existing = this.entries.get(message.seq);
    if (existing) {
      existing.message = message;
      return;
    }
    const entry: Entry = { message, deliveries: 0 };
    if (message.seq > this.lastSeq) {
      this.entries.set(message.seq, entry);
      this.lastSeq = message.seq;
      return;
    }
    const sorted = [...this.entries.values(), entry].sort((a, b) => a.message.seq - b.message.seq);
    this.entries = new Map(sorted.map((e) => [e.message.seq, e]));
  }

  get(seq: number): Entry | undefined {
    return this.entries.get(seq);
  }

  delete(seq: number): boolean {
    return this.entries.delete(seq);
  }

  values(): IterableIterator<Entry> {
    return this.entries.values();
  }
}

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly durable = false;

  private readonly queues = new Map<string, SeqMap>();
  private readonly history = new Map<string, SeqMap>();
  private readonly durables = new Map<string, DurableSubscriptionRecord>();
  private closed = false;

  // Group commit: every write issued in one synchronous run shares one batch.
  private batch: (() => void)[] = [];
  private batchOps = 0;
  private batchStartedAt = 0;
  private commits = 0;
  private writes = 0;
  private lastCommitMs = 0;
  onCommit: ((ms: number) => void) | null = null;

  async recover(): Promise<RecoveredState> {
    const queues = new Map<string, RecoveredMessage[]>();
    const history = new Map<string, StoredMessage[]>();
    let maxSeq = 0;
    for (const [name, entries] of this.queues) {
      const list: RecoveredMessage[] = [];
      for (const entry of entries.values()) {
        list.push({ message: entry.message, deliveries: entry.deliveries });
        if (entry.message.seq > maxSeq) maxSeq = entry.message.seq;
      }
      if (list.length > 0) queues.set(name, list);
    }
    for (const [topic, entries] of this.history) {
      const list: StoredMessage[] = [];
      for (const entry of entries.values()) {
        list.push(entry.message);
        if (entry.message.seq > maxSeq) maxSeq = entry.message.seq;
      }
      if (list.length > 0) history.set(topic, list);
    }
    return {
      queues,
      durableSubscriptions: [...this.durables.values()].map((r) => ({ ...r })),
      history,
      maxSeq,
    };
  }

  appendQueueMessage(queue: string, message: StoredMessage): Promise<void> {
    return this.write(1, () => {
      let entries = this.queues.get(queue);
      if (!entries) {
        entries = new SeqMap();
        this.queues.set(queue, entries);
      }
      entries.set(message);
    });
  }

  removeQueueMessage(queue: string, seq: number): Promise<void> {
    return this.write(2, () => {
      const entries = this.queues.get(queue);
      if (!entries) return;
      entries.delete(seq);
      if (entries.size === 0) this.queues.delete(queue);
    });
  }

  recordDelivery(queue: string, seq: number, deliveries: number): Promise<void> {
    return this.write(1, () => {
      // Like the LMDB store, a count for a message that is gone is dropped.
      const entry = this.queues.get(queue)?.get(seq);
      if (entry) entry.deliveries = deliveries;
    });
  }

  clearQueue(queue: string): Promise<void> {
    const count = this.queues.get(queue)?.size ?? 0;
    return this.write(count, () => {
      this.queues.delete(queue);
    });
  }

  browseQueue(queue: string, afterSeq: number, limit: number): StoredMessage[] {
    const result: StoredMessage[] = [];
    if (this.closed || limit <= 0) return result;
    const entries = this.queues.get(queue);
    if (!entries) return result;
    for (const entry of entries.values()) {
      if (entry.message.seq <= afterSeq) continue;
      result.push(entry.message);
      if (result.length >= limit) break;
    }
    return result;
  }

  saveDurableSubscription(record: DurableSubscriptionRecord): Promise<void> {
    return this.write(1, () => {
      this.durables.set(record.key, { ...record });
    });
  }

  deleteDurableSubscription(key: string): Promise<void> {
    return this.write(1, () => {
      this.durables.delete(key);
    });
  }

  appendHistory(topic: string, message: StoredMessage): Promise<void> {
    return this.write(1, () => {
      let entries = this.history.get(topic);
      if (!entries) {
        entries = new SeqMap();
        this.history.set(topic, entries);
      }
      entries.set(message);
    });
  }

  trimHistory(topic: string, uptoSeq: number): Promise<void> {
    const entries = this.history.get(topic);
    const doomed: number[] = [];
    if (entries) {
      for (const entry of entries.values()) {
        if (entry.message.seq <= uptoSeq) doomed.push(entry.message.seq);
      }
    }
    return this.write(doomed.length, () => {
      if (!entries) return;
      for (const seq of doomed) entries.delete(seq);
      if (entries.size === 0 && this.history.get(topic) === entries) this.history.delete(topic);
    });
  }

  stats(): StoreStats {
    return {
      commits: this.commits,
      writes: this.writes,
      diskBytes: 0,
      lastCommitMs: this.lastCommitMs,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    // Let the batch in flight (if any) resolve before reporting closed.
    if (this.batch.length > 0) await new Promise<void>((resolve) => this.batch.push(resolve));
  }

  /** Apply `apply` now; resolve with the rest of this synchronous run's writes on one microtask. */
  private write(ops: number, apply: () => void): Promise<void> {
    if (this.closed) return Promise.reject(new StoreWriteError('store is closed'));
    apply();
    return new Promise<void>((resolve) => {
      if (this.batch.length === 0) {
        this.batchStartedAt = performance.now();
        queueMicrotask(() => this.commit());
      }
      this.batch.push(resolve);
      this.batchOps += ops;
    });
  }

  private commit(): void {
    const resolvers = this.batch;
    this.batch = [];
    this.commits++;
    this.writes += this.batchOps;
    this.batchOps = 0;
    this.lastCommitMs = performance.now() - this.batchStartedAt;
    this.onCommit?.(this.lastCommitMs);
    for (const resolve of resolvers) resolve();
  }
}
