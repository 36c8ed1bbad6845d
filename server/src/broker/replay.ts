import { createHeaders } from '../protocol/frame.js';
import type { Broker } from './broker.js';
import type { QueueEntry } from './message.js';

/** Headers the broker wrote when it dead-lettered a message (dead-letter.ts), dropped when it goes back. */
const DEAD_LETTER_HEADERS = new Set([
  'x-original-destination',
  'x-dead-letter-reason',
  'x-delivery-count',
  'x-last-failure',
  'destination',
  'message-id',
  'timestamp',
  'subscription',
  'ack',
]);

export interface ReplayResult {
  /** Messages sent back to their original destination. */
  moved: number;
  /** Messages left in the queue: no `x-original-destination`, or their destination refused them. */
  kept: number;
}

/**
 * Move every message waiting in dead-letter queue `name` back to the queue it
 * was dead-lettered from (its `x-original-destination` header), as a new
 * message with the original headers and body (ActiveMQ's "retry" from a
 * DLQ). Messages without that header, or refused where they go (a full
 * queue), stay in the DLQ. Null when there is no such queue.
 */
export function replayDeadLetters(broker: Broker, name: string): ReplayResult | null {
  const dlq = broker.admin.findQueue(name);
  if (dlq === undefined) return null;
  const kept: QueueEntry[] = [];
  let moved = 0;
  for (const entry of dlq.takeAll()) {
    const message = entry.message;
    const origin = message.headers['x-original-destination'];
    if (origin === undefined || origin === dlq.destination) {
      kept.push(entry);
      continue;
    }
    const headers = createHeaders();
    for (const [key, value] of Object.entries(message.headers)) {
      if (!DEAD_LETTER_HEADERS.has(key)) headers[key] = value;
    }
    let written: Promise<void> | null;
    try {
      written = broker.publish(origin, headers, message.body, '', {
        persistent: message.persistent,
        priority: message.priority,
        expires: 0,
        timestamp: Date.now(),
      });
    } catch {
      kept.push(entry);
      continue;
    }
    moved++;
    if (!entry.persisted) continue;
    entry.persisted = false;
    // The stored DLQ copy goes once the new one is committed: a failed write leaves it to come back after a restart.
    if (written === null) broker.unpersist(dlq, entry);
    else
      written.then(
        () => broker.unpersist(dlq, entry),
        () => {},
      );
  }
  if (kept.length > 0) dlq.putBack(kept);
  return { moved, kept: kept.length };
}
