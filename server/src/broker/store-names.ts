import type { Queue } from './queue.js';

/** Store names keep user queues and durable-subscription queues apart. */
export const QUEUE_PREFIX = 'q:';
export const DURABLE_PREFIX = 'd:';

/**
 * The store name of a queue, or null for queues that are never persisted
 * (temp queues). Worked out once per queue: it is asked twice per
 * persistent message (store, then remove on ack), and each time it built a
 * new concatenated string that lmdb-js's key encoder then flattened (issue 9).
 */
export function storeNameOf(queue: Queue): string | null {
  let storeName = queue.storeName;
  if (storeName === undefined) {
    storeName = storeNameFor(queue.name);
    queue.storeName = storeName;
  }
  return storeName;
}

function storeNameFor(name: string): string | null {
  if (name.startsWith('\u0000durable\u0000')) return DURABLE_PREFIX + name.slice(9);
  if (name.startsWith('\u0000')) return null;
  return QUEUE_PREFIX + name;
}
