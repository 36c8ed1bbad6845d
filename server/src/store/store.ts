/**
 * The persistence plug point. The broker is written against this interface;
 * `memory` and `lmdb` (and later `redis`) are interchangeable behind it.
 *
 * Durability contract (DESIGN.md): a write's promise resolves only once the
 * write is durably committed; many writes issued in the same tick share one
 * commit (group commit). A rejected promise means the write did not happen,
 * and the caller must not acknowledge it to anyone.
 */

/** One message as stored. Headers are a plain object of strings. */
export interface StoredMessage {
  /** Broker-wide publish order; also the key within its queue. */
  seq: number;
  /** The `message-id` it was delivered with. */
  id: string;
  headers: Record<string, string>;
  body: Buffer;
  /** 0–9, higher first. */
  priority: number;
  /** Expiry time in ms since the epoch; 0 = never. */
  expires: number;
  /** Publish time in ms since the epoch. */
  timestamp: number;
}

/** A durable topic subscription, remembered while its subscriber is away. */
export interface DurableSubscriptionRecord {
  /** Unique key: `<client-id>:<subscription name>`. */
  key: string;
  clientId: string;
  name: string;
  /** The topic destination it listens on (may be a wildcard pattern). */
  destination: string;
  /** JMS selector text, or '' for none. */
  selector: string;
  /** The queue that holds its messages (a queue name in this store). */
  queue: string;
  createdAt: number;
  /**
   * The user who created it (an authenticated login's name); '' or absent
   * when it was created anonymously. A named owner binds the client-id: no
   * other user may connect with it or touch its durable subscriptions.
   */
  owner?: string;
}

/** What `recover()` finds at start-up. */
export interface RecoveredState {
  /** Every stored queue message, per queue, in `seq` order, with how many times each was delivered. */
  queues: Map<string, RecoveredMessage[]>;
  /** With RecoverOptions.lazy, from a store that supports it: the queues' messages as an index (and `queues` is empty). */
  queueIndex?: Map<string, RecoveredQueueIndex>;
  durableSubscriptions: DurableSubscriptionRecord[];
  /** Stored topic history, per topic, in `seq` order. */
  history: Map<string, StoredMessage[]>;
  /** The highest `seq` ever stored (0 when empty), so new messages continue after it. */
  maxSeq: number;
}

/**
 * Queue messages of one queue recovered as an index only, in `seq` order
 * (parallel arrays): what ordering and expiry need, not the messages, which
 * are read back with browseQueue when first needed. See RecoverOptions.
 */
export interface RecoveredQueueIndex {
  seqs: Float64Array;
  priorities: Uint8Array;
  /** Expiry per message, ms since the epoch; 0 = never. */
  expires: Float64Array;
  /** Delivery attempts recorded per message. */
  deliveries: Uint32Array;
}

export interface RecoverOptions {
  /**
   * Index queue messages instead of decoding them (RecoveredState.queueIndex
   * instead of .queues), for a store that can read one back synchronously.
   * A store that cannot ignores it.
   */
  lazy?: boolean;
}

export interface RecoveredMessage {
  message: StoredMessage;
  /** Delivery attempts recorded (0 = never handed to a consumer). */
  deliveries: number;
}

export interface StoreStats {
  /** Durable commits completed since open. */
  commits: number;
  /** Writes (puts and removes) committed since open. */
  writes: number;
  /** Bytes the store occupies on disk (0 for memory). */
  diskBytes: number;
  /** Commit latency of the last commit, ms. */
  lastCommitMs: number;
}

export interface Store {
  readonly kind: 'memory' | 'lmdb';
  /** Whether anything survives a restart (false for memory). */
  readonly durable: boolean;

  /** Load everything persisted. Called once, before any write. */
  recover(options?: RecoverOptions): Promise<RecoveredState>;

  /** Persist one message in `queue`. */
  appendQueueMessage(queue: string, message: StoredMessage): Promise<void>;
  /**
   * Forget one message of `queue` (acknowledged, expired, or moved to a DLQ)
   * and its delivery count. `deliveryRecord: false` says no count can have
   * been recorded for it (it was stored by this run, and counts are only
   * written at shutdown), which spares a second removal per message.
   */
  removeQueueMessage(queue: string, seq: number, deliveryRecord?: boolean): Promise<void>;
  /** Record that the message was handed to a consumer `deliveries` times (drives `redelivered` after a restart). */
  recordDelivery(queue: string, seq: number, deliveries: number): Promise<void>;
  /** Drop every message of `queue` (purge, delete). */
  clearQueue(queue: string): Promise<void>;
  /**
   * Up to `limit` messages of `queue` with seq > `afterSeq`, in seq order,
   * without consuming them (queue browsing for the admin API). Synchronous:
   * reads never wait for the writer.
   */
  browseQueue(queue: string, afterSeq: number, limit: number): StoredMessage[];

  saveDurableSubscription(record: DurableSubscriptionRecord): Promise<void>;
  deleteDurableSubscription(key: string): Promise<void>;

  /** Keep one topic message for history replay. */
  appendHistory(topic: string, message: StoredMessage): Promise<void>;
  /** Forget history of `topic` with seq <= `uptoSeq` (retention trimming). */
  trimHistory(topic: string, uptoSeq: number): Promise<void>;

  stats(): StoreStats;
  /**
   * Told the duration (ms) of every completed commit, for the commit latency
   * histogram; null (default) when nobody listens. Called once per commit,
   * not per write.
   */
  onCommit: ((ms: number) => void) | null;
  /** Flush pending writes and release files. */
  close(): Promise<void>;
}

/** Start-up refused: names the path and what to do. */
export class StoreOpenError extends Error {
  readonly code = 'store-open-failed';
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.name = 'StoreOpenError';
    this.path = path;
  }
}

/** A write that could not be committed (disk full, I/O error): the caller answers ERROR, not RECEIPT. */
export class StoreWriteError extends Error {
  readonly code = 'store-write-failed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreWriteError';
  }
}

/** The on-disk layout version this build writes and reads. */
export const STORE_FORMAT_VERSION = 1;
