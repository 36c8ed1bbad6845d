/**
 * Store records for the LMDB write path without a new Buffer per write
 * (issue 9). This relies on how lmdb-js 3.5 queues an asynchronous write
 * (write.js writeInstructions): the value is not copied but referenced by
 * address until its transaction commits, so a value's bytes must stay
 * untouched until then, and lmdb-js keeps the Buffer object passed alive
 * for that long (resolution.valueBuffer).
 */

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

  /**
   * The current chunk, its free bytes starting at `chunk.start`, for a
   * record whose size is found while it is written (call `seal` after, or
   * `renew` when it did not fit).
   */
  current(): ArenaSlice {
    this.chunk.start = this.used;
    this.chunk.end = this.used;
    return this.chunk;
  }

  /** A fresh chunk in place of the current one (a record did not fit in what was left of it). */
  renew(): ArenaSlice {
    this.chunk = newChunk();
    this.used = 0;
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
