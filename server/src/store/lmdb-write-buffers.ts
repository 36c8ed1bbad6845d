/**
 * Keys and values for the LMDB write path without a new object per write
 * (issue 9). Both rely on how lmdb-js 3.5 queues an asynchronous write
 * (write.js writeInstructions): the key is encoded into lmdb-js's
 * instruction buffer before put/remove returns, so one key buffer per queue
 * can be rewritten for the next write at once; the value is not copied but
 * referenced by address until its transaction commits, so a value's bytes
 * must stay untouched until then, and the Buffer object passed is kept
 * alive by lmdb-js for that long.
 */
import * as lmdb from 'lmdb';

// lmdb-js exports ordered-binary's key codec but its typings omit it.
const { keyValueToBuffer } = lmdb as unknown as { keyValueToBuffer(key: unknown): Uint8Array };

const SEQ_BYTES = 9;
/** The seq's float64 bits, read as two 32-bit words (high word at HIGH on this machine's byte order). */
const seqFloat = new Float64Array(1);
const seqWords = new Uint32Array(seqFloat.buffer);
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LOW = 1 - HIGH;

/**
 * The ordered-binary bytes of `[name, seq]` keys, byte for byte what lmdb-js
 * writes for the array (so the file format is unchanged): the name's bytes
 * and a 0 separator, encoded once per name, then the seq as ordered-binary
 * writes a number inside an array — 9 bytes, type nibble 1 then the
 * float64's bits shifted right by 4. ordered-binary copies a Uint8Array key
 * verbatim.
 */
export class SeqKeys {
  private readonly byName = new Map<string, Buffer>();

  /** The key for `[name, seq]`, valid until the next call for the same name. */
  keyOf(name: string, seq: number): Buffer | [string, number] {
    // Only non-negative finite seqs have the 9-byte form; anything else keeps lmdb-js's encoding.
    if (!(seq >= 0 && seq <= Number.MAX_SAFE_INTEGER)) return [name, seq];
    let key = this.byName.get(name);
    if (key === undefined) {
      key = Buffer.from(keyValueToBuffer([name, 0]));
      this.byName.set(name, key);
    }
    const at = key.length - SEQ_BYTES;
    seqFloat[0] = seq;
    const high = seqWords[HIGH]!;
    const low = seqWords[LOW]!;
    const first = (high >>> 4) | 0x10000000;
    const second = (low >>> 4) | (high << 28);
    key[at] = first >>> 24;
    key[at + 1] = first >>> 16;
    key[at + 2] = first >>> 8;
    key[at + 3] = first;
    key[at + 4] = second >>> 24;
    key[at + 5] = second >>> 16;
    key[at + 6] = second >>> 8;
    key[at + 7] = second;
    key[at + 8] = (low & 0xf) << 4;
    return key;
  }

  /** A queue that no longer exists needs no key. */
  forget(name: string): void {
    this.byName.delete(name);
  }
}

/** What lmdb-js reads a value's extent from when a Buffer carries `start`/`end`. */
export type ArenaSlice = Buffer & { start: number; end: number };

/** Largest record written into the arena; bigger ones get their own Buffer. */
export const ARENA_RECORD_MAX = 64 * 1024;
const ARENA_BYTES = 1024 * 1024;

/**
 * Append-only chunks that store records are encoded into, handed to lmdb-js
 * as the chunk itself with `start`/`end` set (lmdb-js reads them at once and
 * keeps the chunk referenced until the write commits). No Buffer object and
 * no copy per record; a full chunk is never written again — a new one
 * replaces it and the old one is collected once its writes have committed.
 */
export class RecordArena {
  private chunk = newChunk();
  private used = 0;

  /** Room for `bound` bytes: the chunk and where to write (call `seal` after). */
  reserve(bound: number): ArenaSlice {
    if (this.used + bound > this.chunk.length) {
      this.chunk = newChunk();
      this.used = 0;
    }
    this.chunk.start = this.used;
    this.chunk.end = this.used;
    return this.chunk;
  }

  /** The record written at `chunk.start` ends at `end`: claim it, and set the extent lmdb-js reads. */
  seal(end: number): void {
    this.chunk.end = end;
    this.used = end;
  }
}

function newChunk(): ArenaSlice {
  const chunk = Buffer.allocUnsafeSlow(ARENA_BYTES) as ArenaSlice;
  chunk.start = 0;
  chunk.end = 0;
  return chunk;
}

type Utf8Writer = { utf8Write(value: string, offset: number): number };
const hasUtf8Write =
  typeof (Buffer.prototype as unknown as Partial<Utf8Writer>).utf8Write === 'function';

/** Strings this short are copied char by char when ASCII: cheaper than a call into C++. */
const SHORT_STRING = 48;

/**
 * Writes `value` as UTF-8 at `pos` (the caller has made room for 3 bytes per
 * UTF-16 unit); returns the byte count. Header names and values are mostly
 * short ASCII, where Buffer#write's argument checks and native call cost
 * more than the copy (profiled, issue 9). Buffer#utf8Write is what
 * Buffer#write calls for 'utf8'.
 */
export function writeUtf8(buf: Buffer, pos: number, value: string): number {
  const length = value.length;
  if (length < SHORT_STRING) {
    let i = 0;
    for (; i < length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) break;
      buf[pos + i] = code;
    }
    if (i === length) return length;
  }
  return hasUtf8Write
    ? (buf as unknown as Utf8Writer).utf8Write(value, pos)
    : buf.write(value, pos, 'utf8');
}
