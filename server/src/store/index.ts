/**
 * The store plug point: pick an implementation by kind.
 */

import { MemoryStore } from './memory-store.js';
import type { Store } from './store.js';

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
    case 'lmdb': {
      // Loaded only when asked for: lmdb-js and msgpackr cost a memory-store start-up ~30 ms (issue 9).
      const { LmdbStore } = await import('./lmdb-store.js');
      return LmdbStore.open(dataDir);
    }
    default:
      throw new Error(`unknown store kind '${String(kind satisfies never)}'`);
  }
}
