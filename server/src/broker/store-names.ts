import type { Queue } from './queue.js';

/** Store names keep user queues and durable-subscription queues apart. */
export const QUEUE_PREFIX = 'q:';
export const DURABLE_PREFIX = 'd:';

/** The store name of a queue, or null for queues that are never persisted (temp queues). */
export function storeNameOf(queue: Queue): string | null {
  if (queue.name.startsWith('\u0000durable\u0000')) return DURABLE_PREFIX + queue.name.slice(9);
  if (queue.name.startsWith('\u0000')) return null;
  return QUEUE_PREFIX + queue.name;
}
