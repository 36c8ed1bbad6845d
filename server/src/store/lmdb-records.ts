/**
 * The binary record a stored message is kept as in LMDB (the `messages` and
 * `history` sub-databases), and the read-only view lazy recovery uses to read
 * a record's priority and expiry in place. Kept apart from lmdb-store.ts,
 * which owns the environment and its writes.
 */

import { ARENA_RECORD_MAX, type RecordArena, writeUtf8 } from './lmdb-write-buffers.js';
import type { StoredMessage } from './store.js';

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
  // The length bytes by hand: Buffer#writeUInt32LE checks its arguments on every call (issue 9).
  buf[pos] = written;
  buf[pos + 1] = written >>> 8;
  buf[pos + 2] = written >>> 16;
  buf[pos + 3] = written >>> 24;
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
export function recordForPut(arena: RecordArena, message: StoredMessage): Buffer {
  let chunk = arena.current();
  let end = encodeBounded(
    chunk,
    chunk.start,
    Math.min(chunk.length, chunk.start + ARENA_RECORD_MAX),
    message,
  );
  if (end < 0 && chunk.length - chunk.start < ARENA_RECORD_MAX) {
    // Did not fit in what is left of the chunk: a fresh one takes any record up to ARENA_RECORD_MAX.
    chunk = arena.renew();
    end = encodeBounded(chunk, 0, ARENA_RECORD_MAX, message);
  }
  if (end < 0) return encodeMessage(message);
  arena.seal(end);
  return chunk;
}

/**
 * encodeFieldsInto and the body in one pass over the headers, for the arena:
 * each string is checked against `limit` as it comes (3 bytes per UTF-16
 * unit at most) rather than bounding the whole record first, which walked
 * the headers twice (issue 9). Returns the record's end, or -1 when it
 * would pass `limit` (the bytes written so far are garbage, never claimed).
 */
function encodeBounded(buf: Buffer, start: number, limit: number, message: StoredMessage): number {
  const { headers, id, body } = message;
  if (start + FIXED_BYTES + 3 * id.length > limit) return -1;
  buf[start] = message.priority;
  buf.writeDoubleLE(message.expires, start + 1);
  buf.writeDoubleLE(message.timestamp, start + 9);
  let pos = writeString(buf, start + 17, id);
  const countAt = pos;
  pos += 4;
  let count = 0;
  for (const name in headers) {
    const value = headers[name]!;
    if (pos + 8 + 3 * (name.length + value.length) > limit) return -1;
    pos = writeString(buf, pos, name);
    pos = writeString(buf, pos, value);
    count++;
  }
  buf.writeUInt32LE(count, countAt);
  if (pos + body.length > limit) return -1;
  // TypedArray#set: the bytes are known to fit, so none of Buffer#copy's argument handling.
  buf.set(body, pos);
  return pos + body.length;
}

/** Where encodeMessage writes a record's fields; grows to the largest seen. */
let recordScratch: Buffer = Buffer.allocUnsafeSlow(4096);

/** What lazy recovery reads of a record: its priority and expiry (the first 17 bytes). */
export interface RecordIndex {
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
export const RECORD_INDEX_DECODER = {
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
