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

import { accessSync, closeSync, constants, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { join, resolve } from 'node:path';
import { type Database, open, type RootDatabase } from 'lmdb';
import { IndexColumns, SeqKeyReader } from './lmdb-index.js';
import { ARENA_RECORD_MAX, RecordArena, writeUtf8 } from './lmdb-write-buffers.js';
import {
  type DurableSubscriptionRecord,
  type RecoveredMessage,
  type RecoveredQueueIndex,
  type RecoveredState,
  type RecoverOptions,
  STORE_FORMAT_VERSION,
  type Store,
  type StoredMessage,
  StoreOpenError,
  type StoreStats,
  StoreWriteError,
} from './store.js';

/** The data file inside the data directory; LMDB adds `<name>-lock` beside it. */
export const LMDB_FILE_NAME = 'stompede.lmdb';

/** Sub-database names and encodings; exported for tests that write the file directly. */
export const LMDB_DATABASES = {
  meta: { name: 'meta', encoding: 'msgpack' },
  messages: { name: 'messages', encoding: 'binary' },
  deliveries: { name: 'deliveries', encoding: 'msgpack' },
  durables: { name: 'durables', encoding: 'msgpack' },
  history: { name: 'history', encoding: 'binary' },
} as const;

type SeqKey = [string, number];

interface Databases {
  meta: Database<unknown, string>;
  messages: Database<Buffer, SeqKey>;
  deliveries: Database<number, SeqKey>;
  durables: Database<DurableSubscriptionRecord, string>;
  history: Database<Buffer, SeqKey>;
}

// ---------------------------------------------------------------------------
// Message encoding.
//
// A compact little-endian layout (the seq is in the key):
//   u8 priority | f64 expires | f64 timestamp | str id | u32 headerCount |
//   (str name, str value) * headerCount | body (rest of the value)
// where str = u32 byteLength + UTF-8 bytes. 25 bytes of fixed overhead plus
// 8 per header; no JSON, no per-field names.
// ---------------------------------------------------------------------------

const FIXED_BYTES = 1 + 8 + 8 + 4 + 4;

function writeString(buf: Buffer, pos: number, value: string): number {
  const written = writeUtf8(buf, pos + 4, value);
  buf.writeUInt32LE(written, pos);
  return pos + 4 + written;
}

export function encodeMessage(message: StoredMessage): Buffer {
  const bound = recordBound(message);
  if (bound > recordScratch.length) {
    recordScratch = Buffer.allocUnsafeSlow(Math.max(bound, 2 * recordScratch.length));
  }
  // Fields into a scratch buffer, then the record at its exact size
  // (allocating at the bound would take two or three times the record from
  // Buffer's shared pool) (issue 9).
  const pos = encodeFieldsInto(recordScratch, 0, message);
  const record = Buffer.allocUnsafe(pos + message.body.length);
  recordScratch.copy(record, 0, 0, pos);
  message.body.copy(record, pos);
  return record;
}

/**
 * An upper bound of a record's size (a UTF-16 code unit is at most 3 UTF-8
 * bytes) instead of measuring every string first.
 */
function recordBound(message: StoredMessage): number {
  const { headers } = message;
  let bound = FIXED_BYTES + 3 * message.id.length + message.body.length;
  for (const name in headers) bound += 8 + 3 * (name.length + headers[name]!.length);
  return bound;
}

/** Writes a record's fields (everything but the body) at `start`; returns where the body goes. */
function encodeFieldsInto(buf: Buffer, start: number, message: StoredMessage): number {
  const { headers } = message;
  const names = Object.keys(headers);
  buf[start] = message.priority;
  buf.writeDoubleLE(message.expires, start + 1);
  buf.writeDoubleLE(message.timestamp, start + 9);
  let pos = writeString(buf, start + 17, message.id);
  buf.writeUInt32LE(names.length, pos);
  pos += 4;
  for (const name of names) {
    pos = writeString(buf, pos, name);
    pos = writeString(buf, pos, headers[name]!);
  }
  return pos;
}

/**
 * The record of `message` for a put: encoded straight into the write
 * arena (no Buffer object and no copy of its fields per record), or on its
 * own when it is too big for the arena.
 */
function recordForPut(arena: RecordArena, message: StoredMessage): Buffer {
  const bound = recordBound(message);
  if (bound > ARENA_RECORD_MAX) return encodeMessage(message);
  const chunk = arena.reserve(bound);
  const pos = encodeFieldsInto(chunk, chunk.start, message);
  arena.seal(pos + message.body.copy(chunk, pos));
  return chunk;
}

/** Where encodeMessage writes a record's fields; grows to the largest seen. */
let recordScratch: Buffer = Buffer.allocUnsafeSlow(4096);

/** What lazy recovery reads of a record: its priority and expiry (the first 17 bytes). */
interface RecordIndex {
  priority: number;
  expires: number;
}

const recordIndex: RecordIndex = { priority: 0, expires: 0 };
const expiresBytes = new Uint8Array(8);
const expiresView = new DataView(expiresBytes.buffer);

/**
 * An lmdb-js decoder that reads priority and expiry straight from the
 * record's bytes in lmdb's shared read buffer (a decoder gets them without
 * the copy lmdb-js makes for 'binary' values) into one reused object, which
 * the caller reads before the next record.
 */
const RECORD_INDEX_DECODER = {
  encode(): Buffer {
    throw new Error('the record index view is read-only');
  },
  decode(bytes: Uint8Array, size: number): RecordIndex {
    if (size < FIXED_BYTES) throw new RangeError('stored message is truncated');
    recordIndex.priority = bytes[0]!;
    for (let i = 0; i < 8; i++) expiresBytes[i] = bytes[1 + i]!;
    recordIndex.expires = expiresView.getFloat64(0, true);
    return recordIndex;
  },
};

/** Decodes a value written by encodeMessage. The body is a view into `buf`, which must not be reused. */
export function decodeMessage(seq: number, buf: Buffer): StoredMessage {
  const priority = buf[0]!;
  const expires = buf.readDoubleLE(1);
  const timestamp = buf.readDoubleLE(9);
  let pos = 17;
  let len = buf.readUInt32LE(pos);
  const id = buf.toString('utf8', pos + 4, pos + 4 + len);
  pos += 4 + len;
  const count = buf.readUInt32LE(pos);
  pos += 4;
  // Null prototype: a header named `__proto__` or `constructor` is plain data,
  // and the broker can take the object as a message's headers without a copy.
  const headers: Record<string, string> = Object.create(null);
  for (let i = 0; i < count; i++) {
    len = buf.readUInt32LE(pos);
    const name = buf.toString('utf8', pos + 4, pos + 4 + len);
    pos += 4 + len;
    len = buf.readUInt32LE(pos);
    const value = buf.toString('utf8', pos + 4, pos + 4 + len);
    pos += 4 + len;
    headers[name] = value;
  }
  if (pos > buf.length) throw new RangeError(`stored message ${seq} is truncated`);
  return { seq, id, headers, body: buf.subarray(pos), priority, expires, timestamp };
}

// ---------------------------------------------------------------------------
// Opening.
// ---------------------------------------------------------------------------

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errno(err: unknown): string | number | undefined {
  return (err as { code?: string | number } | null)?.code;
}

const PERMISSION_CODES = new Set<string | number>(['EACCES', 'EPERM', 'EROFS', 13, 1, 30]);

function permissionError(path: string, err: unknown): StoreOpenError {
  return new StoreOpenError(
    path,
    `cannot use data directory ${path}: ${errorText(err)}. Fix its permissions, or choose another --data-dir.`,
  );
}

function damagedError(path: string, reason: string): StoreOpenError {
  return new StoreOpenError(
    path,
    `${path} is damaged or is not a Stompede data file (${reason}). Restore it from a backup, or move it away to start with an empty store.`,
  );
}

/** Create the data directory and check that it can be written. */
function prepareDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    throw permissionError(dir, err);
  }
}

const MDB_MAGIC = 0xbeefc0de;
const MDB_DATA_VERSION = 2;
const P_META = 0x08;
// 64-bit page header: pgno u64, txnid u64, pad u16, flags u16, lower u16, upper u16.
const PAGE_HEADER_BYTES = 24;

/**
 * lmdb-js 3.5 crashes the process (SIGSEGV) when mdb_env_open rejects a file
 * it cannot parse, instead of throwing, so the file is checked here first the
 * way LMDB itself does (mdb_env_read_header): both meta pages present, with
 * the meta flag, the magic and the data version. Checked on 64-bit
 * little-endian builds, the layout every supported platform uses.
 */
function checkDataFile(path: string): void {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw damagedError(path, 'not a regular file');
    size = st.size;
  } catch (err) {
    if (err instanceof StoreOpenError) throw err;
    if (errno(err) === 'ENOENT') return;
    throw permissionError(path, err);
  }
  for (const file of [path, `${path}-lock`]) {
    try {
      accessSync(file, constants.R_OK | constants.W_OK);
    } catch (err) {
      if (errno(err) !== 'ENOENT') throw permissionError(file, err);
    }
  }
  // An empty file is initialised by LMDB as a new environment.
  if (size === 0 || endianness() !== 'LE' || !['x64', 'arm64'].includes(process.arch)) return;

  const readAt = (fd: number, offset: number): Buffer => {
    const buf = Buffer.alloc(64);
    const n = readSync(fd, buf, 0, buf.length, offset);
    return buf.subarray(0, n);
  };
  const isMeta = (page: Buffer): boolean =>
    page.length >= 64 &&
    (page.readUInt16LE(18) & P_META) !== 0 &&
    page.readUInt32LE(PAGE_HEADER_BYTES) === MDB_MAGIC;

  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw permissionError(path, err);
  }
  try {
    const first = readAt(fd, 0);
    if (!isMeta(first)) throw damagedError(path, 'not an LMDB file');
    const version = first.readUInt32LE(PAGE_HEADER_BYTES + 4) & 0xffff;
    if (version !== MDB_DATA_VERSION) {
      throw damagedError(
        path,
        `LMDB data version ${version}, this build reads ${MDB_DATA_VERSION}`,
      );
    }
    // mm_dbs[0].md_pad holds the page size: after magic, version, address, mapsize.
    const pageSize = first.readUInt32LE(PAGE_HEADER_BYTES + 24);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
      throw damagedError(path, `bad page size ${pageSize}`);
    }
    if (size < 2 * pageSize) throw damagedError(path, 'truncated');
    if (!isMeta(readAt(fd, pageSize))) throw damagedError(path, 'second meta page is damaged');
  } finally {
    closeSync(fd);
  }
}

function openDatabases(root: RootDatabase): Databases {
  const { meta, messages, deliveries, durables, history } = LMDB_DATABASES;
  return {
    meta: root.openDB<unknown, string>(meta),
    messages: root.openDB<Buffer, SeqKey>(messages),
    deliveries: root.openDB<number, SeqKey>(deliveries),
    durables: root.openDB<DurableSubscriptionRecord, string>(durables),
    history: root.openDB<Buffer, SeqKey>(history),
  };
}

/** Create the sub-databases and stamp the format on a new file, or check an existing file's format. */
function initialise(root: RootDatabase, path: string): Databases {
  // The root database's keys are the names of the sub-databases.
  const names = [...root.getKeys()];
  if (names.length === 0) {
    let dbs: Databases | undefined;
    // One transaction, so a crash here never leaves sub-databases without a format stamp.
    root.transactionSync(() => {
      dbs = openDatabases(root);
      dbs.meta.putSync('formatVersion', STORE_FORMAT_VERSION);
    });
    return dbs!;
  }
  const version = names.includes(LMDB_DATABASES.meta.name)
    ? root.openDB<unknown, string>(LMDB_DATABASES.meta).get('formatVersion')
    : undefined;
  if (version === STORE_FORMAT_VERSION) return openDatabases(root);
  if (typeof version === 'number' && Number.isInteger(version) && version > STORE_FORMAT_VERSION) {
    throw new StoreOpenError(
      path,
      `${path} was written by a newer Stompede (format ${version}; this build reads ${STORE_FORMAT_VERSION}). Upgrade Stompede, or point --data-dir at another directory.`,
    );
  }
  throw new StoreOpenError(
    path,
    `${path} has an unknown store format (format ${version === undefined ? 'missing' : JSON.stringify(version)}; this build reads ${STORE_FORMAT_VERSION}). Restore it from a backup, upgrade Stompede, or point --data-dir at another directory.`,
  );
}

// ---------------------------------------------------------------------------
// Write errors.
// ---------------------------------------------------------------------------

const IO_HINTS: Record<number, string> = {
  5: 'I/O error — disk full or failing?',
  27: 'file too large',
  28: 'no space left on device — disk full',
  30: 'read-only file system',
  122: 'disk quota exceeded',
};

function describeIoError(err: unknown): string {
  const code = errno(err);
  const hint = typeof code === 'number' ? IO_HINTS[code] : undefined;
  return hint ? `${errorText(err)} (${hint})` : errorText(err);
}

/** lmdb-js rejects failed commits with a generic error whose `commitError` promise carries the real one. */
function commitErrorOf(err: unknown): PromiseLike<unknown> | undefined {
  const commitError = (err as { commitError?: PromiseLike<unknown> } | null)?.commitError;
  return commitError && typeof commitError.then === 'function' ? commitError : undefined;
}

function ignoreCommitFailure(err: unknown): void {
  commitErrorOf(err)?.then(undefined, () => {});
}

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
    checkDataFile(path);
    let root: RootDatabase;
    try {
      // strictAsyncOrder: a transaction() callback (clearQueue, trimHistory)
      // runs at its place among the turn's writes — after the puts issued
      // before it, before those issued after — instead of at the batch's end.
      root = open({ path, noSubdir: true, maxDbs: 8, strictAsyncOrder: true });
    } catch (err) {
      if (PERMISSION_CODES.has(errno(err) ?? '')) throw permissionError(path, err);
      throw damagedError(path, errorText(err));
    }
    try {
      return new LmdbStore(path, root, initialise(root, path));
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

  appendQueueMessage(queue: string, message: StoredMessage): Promise<void> {
    return this.write(1, () =>
      this.db.messages.put([queue, message.seq], recordForPut(this.arena, message)),
    );
  }

  removeQueueMessage(queue: string, seq: number, deliveryRecord = true): Promise<void> {
    if (!deliveryRecord) {
      return this.write(1, () => this.db.messages.remove([queue, seq]));
    }
    return this.write(2, () => {
      const key: SeqKey = [queue, seq];
      const removed = this.db.messages.remove(key);
      const forgotten = this.db.deliveries.remove(key);
      // Both land in this turn's transaction, so normally this is one promise.
      return removed === forgotten ? removed : Promise.all([removed, forgotten]);
    });
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
    if (this.closed) return Promise.reject(new StoreWriteError('store is closed'));
    let pending: PromiseLike<unknown>;
    try {
      pending = issue();
    } catch (err) {
      // lmdb-js refuses some writes synchronously (e.g. a key over 1978 bytes).
      return Promise.reject(
        new StoreWriteError(`write refused: ${errorText(err)}`, { cause: err }),
      );
    }
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
