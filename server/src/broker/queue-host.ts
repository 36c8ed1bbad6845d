/**
 * What a Queue is told from outside and tells its owner: the host it calls
 * (persistence, dead-lettering, being forgotten), the feed a clustered queue
 * draws from, and RabbitMQ queue arguments. Split from queue.ts (issue 9).
 */
import type { QueueEntry } from './message.js';
import type { Queue } from './queue.js';

/** What a queue needs from its broker: persistence, dead-lettering, and being forgotten when unused. */
export interface QueueHost {
  /** Store a persistent entry; resolves once durable. Null when this queue keeps nothing on disk. */
  persist(queue: Queue, entry: QueueEntry): Promise<void> | null;
  /** Remove the durable copy of a settled entry (fire and forget: a lost removal means a redelivery, never a loss). */
  unpersist(queue: Queue, entry: QueueEntry): void;
  /** An entry leaves the queue unsettled: past its redelivery limit, expired, rejected, or over the length limit. */
  deadLetter(queue: Queue, entry: QueueEntry, reason: DeadLetterReason): void;
  /** An auto-delete queue lost its last consumer: unbind and drop it. */
  autoDelete(queue: Queue): void;
  /** Empty and without consumers: the owner may forget it. */
  idle(queue: Queue): void;
  /**
   * The policy's maxDepth made the queue lose `entry`: the oldest waiting one
   * (overflow 'drop-oldest'), or the arriving one (overflow 'refuse', on a
   * path that cannot refuse its producer, such as a virtual-topic copy).
   */
  overflow?(queue: Queue, entry: QueueEntry): void;
}

/**
 * Where a queue's messages come from when they live elsewhere (a cluster's
 * Redis stream): told after each dispatch, so it can fetch what the
 * consumers have room for, and told about deliveries that failed.
 */
export interface QueueFeed {
  /** The queue dispatched (or lost its last consumer): fetch more, or hand back what it holds. */
  wake(queue: Queue): void;
  /** These entries failed delivery and go back for another: their counts must outlive this node. */
  requeued(queue: Queue, entries: readonly QueueEntry[]): void;
}

export type DeadLetterReason = 'max-redeliveries' | 'expired' | 'rejected' | 'maxlen';

/** RabbitMQ queue arguments (`x-message-ttl`, …), fixed when the queue is first declared. */
export interface QueueArguments {
  /** Messages expire this long after they enter the queue, ms (0 = no TTL). */
  messageTtlMs: number;
  /** Most ready messages; the oldest is dropped (dead-lettered) beyond it (0 = no limit). */
  maxLength: number;
  /** Exchange dead-lettered messages go to ('' = the policy's dead-letter queue). */
  deadLetterExchange: string;
  /** Routing key for them ('' = keep their own). */
  deadLetterRoutingKey: string;
}

export const NO_QUEUE_ARGUMENTS: QueueArguments = {
  messageTtlMs: 0,
  maxLength: 0,
  deadLetterExchange: '',
  deadLetterRoutingKey: '',
};
