/**
 * Opening the LMDB data file: the file's name and sub-databases, the checks
 * made before lmdb-js sees a file (it crashes on some it cannot parse), the
 * format stamp, and the errors a person can act on when the data directory
 * or a commit fails. Kept apart from lmdb-store.ts, which owns the open
 * environment and its reads and writes.
 */

import { accessSync, closeSync, constants, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import type { Database, RootDatabase } from 'lmdb';
import { lmdb } from './lmdb-module.js';
import { type DurableSubscriptionRecord, STORE_FORMAT_VERSION, StoreOpenError } from './store.js';

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

export type SeqKey = [string, number];

export interface Databases {
  meta: Database<unknown, string>;
  messages: Database<Buffer, SeqKey>;
  deliveries: Database<number, SeqKey>;
  durables: Database<DurableSubscriptionRecord, string>;
  history: Database<Buffer, SeqKey>;
}

// ---------------------------------------------------------------------------
// Opening.
// ---------------------------------------------------------------------------

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function errno(err: unknown): string | number | undefined {
  return (err as { code?: string | number } | null)?.code;
}

export const PERMISSION_CODES = new Set<string | number>(['EACCES', 'EPERM', 'EROFS', 13, 1, 30]);

export function permissionError(path: string, err: unknown): StoreOpenError {
  return new StoreOpenError(
    path,
    `cannot use data directory ${path}: ${errorText(err)}. Fix its permissions, or choose another --data-dir.`,
  );
}

export function damagedError(path: string, reason: string): StoreOpenError {
  return new StoreOpenError(
    path,
    `${path} is damaged or is not a Stompede data file (${reason}). Restore it from a backup, or move it away to start with an empty store.`,
  );
}

/** Create the data directory and check that it can be written. */
export function prepareDirectory(dir: string): void {
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
 * Returns false when there is no data yet (no file, or an empty one).
 */
export function checkDataFile(path: string): boolean {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw damagedError(path, 'not a regular file');
    size = st.size;
  } catch (err) {
    if (err instanceof StoreOpenError) throw err;
    if (errno(err) === 'ENOENT') return false;
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
  if (size === 0) return false;
  if (endianness() !== 'LE' || !['x64', 'arm64'].includes(process.arch)) return true;

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
  return true;
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

/**
 * The format stamp as msgpack bytes: a positive fixint is its own one byte.
 * Written raw, so that a new store's start-up does not compile msgpackr's
 * encoder for one number (~1.3 ms, issue 9); the bytes are what the meta
 * database's msgpack encoding writes, and reads decode them as before.
 */
function formatStamp(): unknown {
  return STORE_FORMAT_VERSION >= 0 && STORE_FORMAT_VERSION < 0x80
    ? lmdb.asBinary(Uint8Array.of(STORE_FORMAT_VERSION))
    : STORE_FORMAT_VERSION;
}

/**
 * Create the sub-databases and stamp the format on a new file, or check an
 * existing file's format. `hasData` is checkDataFile's answer: without data
 * the root's keys need no read (an empty root has none).
 */
export function initialise(root: RootDatabase, path: string, hasData = true): Databases {
  // The root database's keys are the names of the sub-databases.
  const names = hasData ? [...root.getKeys()] : [];
  if (names.length === 0) {
    let dbs: Databases | undefined;
    // One transaction, so a crash here never leaves sub-databases without a format stamp.
    root.transactionSync(() => {
      dbs = openDatabases(root);
      dbs.meta.putSync('formatVersion', formatStamp());
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

export function describeIoError(err: unknown): string {
  const code = errno(err);
  const hint = typeof code === 'number' ? IO_HINTS[code] : undefined;
  return hint ? `${errorText(err)} (${hint})` : errorText(err);
}

/** lmdb-js rejects failed commits with a generic error whose `commitError` promise carries the real one. */
export function commitErrorOf(err: unknown): PromiseLike<unknown> | undefined {
  const commitError = (err as { commitError?: PromiseLike<unknown> } | null)?.commitError;
  return commitError && typeof commitError.then === 'function' ? commitError : undefined;
}

export function ignoreCommitFailure(err: unknown): void {
  commitErrorOf(err)?.then(undefined, () => {});
}
