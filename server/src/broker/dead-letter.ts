import { createHeaders, type FrameHeaders } from '../protocol/frame.js';
import type { QueueEntry } from './message.js';
import type { DeadLetterReason, Queue } from './queue.js';

/**
 * Headers of the copy that goes to a dead-letter destination: everything the
 * original carried (minus its expiry, so it does not expire again there),
 * plus where it came from and why it left (ActiveMQ's DLQ and RabbitMQ's DLX
 * record the same facts).
 */
export function deadLetterHeaders(
  queue: Queue,
  entry: QueueEntry,
  reason: DeadLetterReason,
): FrameHeaders {
  const headers = createHeaders();
  for (const [key, value] of Object.entries(entry.message.headers)) headers[key] = value;
  delete headers.expires;
  headers['x-original-destination'] = queue.destination;
  headers['x-dead-letter-reason'] = reason;
  headers['x-delivery-count'] = String(entry.deliveries);
  if (entry.lastFailure !== '') headers['x-last-failure'] = entry.lastFailure;
  return headers;
}

/** The DLQ queue name from a policy template: `{name}` is the queue's own name. */
export function deadLetterQueueName(template: string, queue: Queue): string {
  return template.replaceAll('{name}', queue.destination.replace(/^\/[^/]+\//, ''));
}
