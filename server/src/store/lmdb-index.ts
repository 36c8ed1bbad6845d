/**
 * What lazy recovery (LmdbStore.recover with `lazy`) reads the messages
 * database with: a key reader for `[queue, seq]` keys and the typed columns
 * the index is collected into. Kept apart from lmdb-store.ts, which owns the
 * file layout and the write path.
 */
import { lmdb } from './lmdb-module.js';
import type { RecoveredQueueIndex } from './store.js';

type SeqKey = [string, number];

const { bufferToKeyValue, keyValueToBuffer } = lmdb;

/** Big-endian scratch for the seq's float64 bits. */
const seqView = new DataView(new ArrayBuffer(8));

/**
 * An lmdb-js key encoder for reading `[queue, seq]` keys during recovery.
 * lmdb-js's own reader builds a new array and a new name string for every
 * record: with a million records that was a third of start-up (issue 9).
 * The ordered-binary layout of such a key is the queue name's bytes, a 0
 * separator, then the seq as a 9-byte positive double (type nibble 1, then
 * the float64's bits shifted right by 4). This reader decodes the seq from
 * those 9 bytes, decodes the name only when its bytes differ from the
 * previous record's, and returns one reused array. Anything else is decoded
 * by ordered-binary itself.
 */
export class SeqKeyReader {
  private readonly key: SeqKey = ['', 0];
  private nameBytes = new Uint8Array(0);
  /** Tells lmdb-js these are ordered-binary keys (its default comparator), not raw buffers. */
  enableNullTermination(): void {}

  // Arrow functions: lmdb-js calls them detached from this object.
  readonly writeKey = (key: unknown, target: Uint8Array, start: number): number => {
    if (key === undefined) return start;
    const bytes = keyValueToBuffer(key);
    target.set(bytes, start);
    return start + bytes.length;
  };

  readonly readKey = (bytes: Uint8Array, start: number, end: number): SeqKey => {
    const seqAt = end - 9;
    const type = bytes[seqAt]!;
    if (seqAt - 1 <= start || bytes[seqAt - 1] !== 0 || type < 16 || type >= 24) {
      return this.readGeneric(bytes, start, end);
    }
    const hi = (bytes[seqAt]! << 24) | (bytes[seqAt + 1]! << 16) | (bytes[seqAt + 2]! << 8);
    const mid = (bytes[seqAt + 4]! << 24) | (bytes[seqAt + 5]! << 16) | (bytes[seqAt + 6]! << 8);
    seqView.setInt32(0, ((hi | bytes[seqAt + 3]!) << 4) | ((mid | bytes[seqAt + 7]!) >>> 28));
    seqView.setInt32(4, ((mid | bytes[seqAt + 7]!) << 4) | (bytes[seqAt + 8]! >> 4));
    const seq = seqView.getFloat64(0);
    const nameEnd = seqAt - 1;
    const previous = this.nameBytes;
    let same = previous.length === nameEnd - start;
    for (let i = 0; same && i < previous.length; i++) same = previous[i] === bytes[start + i];
    if (!same) {
      const decoded = this.readGeneric(bytes, start, end);
      if (decoded[1] !== seq) throw new RangeError(`stored message key decodes ambiguously`);
      // A copy (Buffer#slice would be a view of lmdb's reused key buffer).
      this.nameBytes = Uint8Array.prototype.slice.call(bytes, start, nameEnd);
      return decoded;
    }
    this.key[1] = seq;
    return this.key;
  };

  private readGeneric(bytes: Uint8Array, start: number, end: number): SeqKey {
    const decoded = bufferToKeyValue(bytes.subarray(start, end));
    if (
      !Array.isArray(decoded) ||
      decoded.length !== 2 ||
      typeof decoded[0] !== 'string' ||
      typeof decoded[1] !== 'number'
    ) {
      throw new RangeError('a stored message key is not [queue, seq]');
    }
    this.nameBytes = new Uint8Array(0);
    this.key[0] = decoded[0];
    this.key[1] = decoded[1];
    return this.key;
  }
}

/** The recovered index of all queues, column by column; each queue gets a view of its rows. */
export class IndexColumns {
  length = 0;
  private seqs: Float64Array;
  private priorities: Uint8Array;
  private expires: Float64Array;
  private deliveries: Uint32Array;

  constructor(capacity: number) {
    const size = Math.max(capacity, 16);
    this.seqs = new Float64Array(size);
    this.priorities = new Uint8Array(size);
    this.expires = new Float64Array(size);
    this.deliveries = new Uint32Array(size);
  }

  push(seq: number, priority: number, expires: number, deliveries: number): void {
    // The entry count is read before the scan; only a write in between could outgrow it.
    if (this.length === this.seqs.length) this.grow();
    const i = this.length++;
    this.seqs[i] = seq;
    this.priorities[i] = priority;
    this.expires[i] = expires;
    this.deliveries[i] = deliveries;
  }

  /** Rows from `first` to the end, as views (no copy). */
  slice(first: number): RecoveredQueueIndex {
    const end = this.length;
    return {
      seqs: this.seqs.subarray(first, end),
      priorities: this.priorities.subarray(first, end),
      expires: this.expires.subarray(first, end),
      deliveries: this.deliveries.subarray(first, end),
    };
  }

  private grow(): void {
    const size = this.seqs.length * 2;
    const seqs = new Float64Array(size);
    seqs.set(this.seqs);
    this.seqs = seqs;
    const priorities = new Uint8Array(size);
    priorities.set(this.priorities);
    this.priorities = priorities;
    const expires = new Float64Array(size);
    expires.set(this.expires);
    this.expires = expires;
    const deliveries = new Uint32Array(size);
    deliveries.set(this.deliveries);
    this.deliveries = deliveries;
  }
}
