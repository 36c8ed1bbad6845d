/**
 * lmdb-js, loaded through its CommonJS build (`dist/index.cjs`, the same
 * pinned package) rather than its ES module entry. Every store file takes
 * lmdb-js from here, so one process never loads both builds.
 *
 * Why (issue 9, start-up with an empty lmdb store): the ES entry is about 15
 * modules of lmdb-js, msgpackr and ordered-binary, each resolved, read and
 * linked by Node's ESM loader; the CommonJS build is one rollup file and
 * pulls in msgpackr's and ordered-binary's single-file CommonJS builds. The
 * same load, measured in a process that had already loaded the broker: ESM
 * 46 ms CPU (median), CommonJS 29 ms. The native addon, its v8 fast calls
 * and the exports are the same in both builds.
 */
import { createRequire } from 'node:module';
import type * as Lmdb from 'lmdb';

/** The key codec lmdb-js re-exports from ordered-binary; its typings omit it. */
export interface OrderedBinaryKeys {
  bufferToKeyValue(bytes: Uint8Array): unknown;
  keyValueToBuffer(key: unknown): Uint8Array;
}

export const lmdb = createRequire(import.meta.url)('lmdb') as typeof Lmdb & OrderedBinaryKeys;

/** lmdb-js's `open` (a plain function: it keeps its state in the module, not in `this`). */
export const open: typeof Lmdb.open = lmdb.open;
