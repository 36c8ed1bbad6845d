import { createHeaders, type FrameHeaders } from '../protocol/frame.js';
import type { ExchangeRegistry } from './exchanges.js';
import { createMessage, type Message, QueueEntry } from './message.js';
import type { DeadLetterReason, Queue } from './queue.js';

/** What dead-lettering needs of the broker. */
export interface DeadLetterHost {
  /** The broker-wide totals a dead letter counts in. */
  readonly totals: { expired: number; deadLettered: number };
  readonly exchanges: ExchangeRegistry;
  /** The next message sequence number (the copy is a new message). */
  takeSeq(): number;
  /** The queue by name, made on first use. */
  queue(name: string, destination: string): Queue;
  /** Into a queue, or into its Redis stream when the queue is cluster-shared. */
  enqueueInto(queue: Queue, entry: QueueEntry): Promise<void> | null;
  /** Remove a stored message (the original leaves its queue's store). */
  unpersist(queue: Queue, entry: QueueEntry): void;
}

/** Where undeliverable and expired messages go (QueueHost.deadLetter). */
export class DeadLetters {
  constructor(private readonly host: DeadLetterHost) {}

  /**
   * Move a message that cannot be delivered to its queue's dead-letter
   * exchange (RabbitMQ `x-dead-letter-exchange`) or the policy's dead-letter
   * (or expiry) queue, recording where it came from and why. Without either
   * it is dropped and counted.
   */
  deadLetter(queue: Queue, entry: QueueEntry, reason: DeadLetterReason): void {
    if (reason === 'expired') this.host.totals.expired++;
    else this.host.totals.deadLettered++;
    const original = entry.message;
    const copyOf = (headers: FrameHeaders): Message =>
      createMessage(original.id, this.host.takeSeq(), headers, original.body, {
        persistent: original.persistent,
        priority: original.priority,
        expires: 0,
        timestamp: original.timestamp,
      });
    const dlx = queue.args.deadLetterExchange;
    if (dlx !== '') {
      const key = queue.args.deadLetterRoutingKey || routingKeyOf(original.headers.destination);
      const headers = deadLetterHeaders(queue, entry, reason);
      headers.destination = key === '' ? `/exchange/${dlx}` : `/exchange/${dlx}/${key}`;
      const exchange = this.host.exchanges.declare(dlx, undefined);
      const message = copyOf(headers);
      for (const target of exchange.route(key, headers)) {
        target.enqueue(new QueueEntry(message))?.catch(() => {});
      }
    } else {
      const template =
        reason === 'expired' ? queue.policy.expiredQueue : queue.policy.deadLetterQueue;
      if (template !== '') {
        const name = deadLetterQueueName(template, queue);
        const headers = deadLetterHeaders(queue, entry, reason);
        headers.destination = `/queue/${name}`;
        this.enqueueDeadLetter(
          this.host.queue(name, `/queue/${name}`),
          new QueueEntry(copyOf(headers)),
        );
      }
    }
    if (entry.persisted) {
      entry.persisted = false;
      this.host.unpersist(queue, entry);
    }
  }

  /** A dead letter must not be lost to a Redis outage: when the stream refuses it, this node keeps it. */
  private enqueueDeadLetter(queue: Queue, entry: QueueEntry): void {
    try {
      this.host.enqueueInto(queue, entry)?.catch(() => queue.enqueue(entry)?.catch(() => {}));
    } catch {
      queue.enqueue(entry)?.catch(() => {});
    }
  }
}

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

/** The routing key a message was sent with, when it went through an exchange ('' otherwise). */
function routingKeyOf(destination: string | undefined): string {
  if (destination === undefined || !destination.startsWith('/exchange/')) return '';
  const rest = destination.slice(10);
  const slash = rest.indexOf('/');
  return slash < 0 ? '' : rest.slice(slash + 1);
}
