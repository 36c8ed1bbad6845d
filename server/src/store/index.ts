/**
 * The store plug point: pick an implementation by kind.
 */

import { LmdbStore } from './lmdb-store.js';
import { MemoryStore } from './memory-store.js';
import type { Store } from './store.js';

export { decodeMessage, encodeMessage, LMDB_FILE_NAME, LmdbStore } from './lmdb-store.js';
export { MemoryStore } from './memory-store.js';
export * from './store.js';

export type StoreKind = 'memory' | 'lmdb';

/**
 * Open a store. `lmdb` creates `dataDir` if needed and keeps its data in
 * `<dataDir>/stompede.lmdb`; it rejects with StoreOpenError when the
 * directory or file cannot be used. `memory` ignores `dataDir`.
 */
export async function openStore(kind: StoreKind, dataDir: string): Promise<Store> {
  switch (kind) {
    case 'memory':
      return new MemoryStore();
    case 'lmdb':
      return LmdbStore.open(dataDir);
    default:
      throw new Error(`unknown store kind '${String(kind satisfies never)}'`);
  }
}
