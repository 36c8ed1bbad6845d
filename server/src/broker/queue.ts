import type { DestinationPolicy } from '../config.js';
import type { Message, QueueEntry } from './message.js';
import { NOBODY, QueueConsumers, type QueueVerdict } from './queue-consumers.js';
import {
  NO_QUEUE_ARGUMENTS,
  type QueueArguments,
  type QueueFeed,
  type QueueHost,
} from './queue-host.js';
import { PRIORITIES, ReadyEntries } from './queue-ready.js';
import { RedeliverySchedule, redeliveryDelay } from './queue-redelivery.js';
import { InOutRates } from './rates.js';
import type { MessageSource, Subscription } from './subscription.js';

export type { QueueRefusal, QueueVerdict } from './queue-consumers.js';
export type { DeadLetterReason, QueueArguments, QueueFeed, QueueHost } from './queue-host.js';
export { NO_QUEUE_ARGUMENTS } from './queue-host.js';

/**
 * How far past a message nobody can take (busy group, no matching selector)
 * the dispatcher looks for others, per priority (ActiveMQ pages 200 too).
 */
const DISPATCH_LOOKAHEAD = 200;

/**
 * Point-to-point destination: each message goes to exactly one consumer,
 * round-robin among those with credit and buffer room; messages wait here
 * while nobody can take them. Higher priority first, FIFO within a priority;
 * redelivery keeps the original order; expired messages are never delivered;
 * a message group sticks to one consumer while it lives.
 */
export class Queue implements MessageSource {
  /** Name within its kind (`orders` for `/queue/orders`), or an internal key for temp and durable queues. */
  readonly name: string;
  /** The destination its messages were sent to, for dead-letter headers. */
  readonly destination: string;
  readonly policy: DestinationPolicy;
  private readonly host: QueueHost;
  private readonly ready = new ReadyEntries();
  /** Entries waiting out a redelivery delay. */
  private readonly scheduled = new RedeliverySchedule((due) => {
    this.ready.returnInOrder(due);
    this.dispatch();
  });
  private readonly consumers = new QueueConsumers();
  private dispatching = false;
  private dispatchAgain = false;
  private deleted = false;
  /** RabbitMQ queue arguments; set once, at first declaration. */
  args: QueueArguments = NO_QUEUE_ARGUMENTS;
  /** Deleted when its last consumer leaves (the private queue behind an exchange subscription). */
  autoDelete = false;
  /** Set when the queue is shared by a cluster: its messages come from the feed, not from enqueue(). */
  feed: QueueFeed | null = null;
  /** Its name in the store, worked out on first use by storeNameOf (store-names.ts); undefined until then. */
  storeName: string | null | undefined = undefined;
  /** Entries whose store write `unstoredWrite` is being committed, and the promise enqueue() returned for them. */
  private unstored: QueueEntry[] = [];
  private unstoredWrite: Promise<void> | null = null;
  private unstoredResult: Promise<void> | null = null;

  enqueued = 0;
  dequeued = 0;
  redelivered = 0;
  expired = 0;
  deadLettered = 0;
  /** Messages lost to the policy's maxDepth (oldest dropped, or arriving ones refused where no producer could be told). */
  dropped = 0;
  /** In (enqueued) and out (dequeued) per second, sampled once a second by the broker. */
  readonly rates = new InOutRates();

  constructor(name: string, destination: string, policy: DestinationPolicy, host: QueueHost) {
    this.name = name;
    this.destination = destination;
    this.policy = policy;
    this.host = host;
  }

  /** Messages waiting (ready or waiting out a redelivery delay), not counting those in flight. */
  get depth(): number {
    return this.ready.count + this.scheduled.length;
  }

  get consumerCount(): number {
    return this.consumers.count;
  }

  /** Whether a SEND must be refused: maxDepth messages wait and the policy's overflow is 'refuse'. */
  get refusing(): boolean {
    const { maxDepth, overflow } = this.policy;
    return maxDepth > 0 && overflow === 'refuse' && this.depth >= maxDepth;
  }

  /** Whether nothing waits and nobody listens. */
  get idle(): boolean {
    return this.consumers.count === 0 && this.depth === 0;
  }

  /**
   * Take a message. A persistent one is stored first and offered only once
   * its commit is durable; the returned promise settles with that commit
   * (null when nothing is written).
   */
  enqueue(entry: QueueEntry): Promise<void> | null {
    const maxDepth = this.policy.maxDepth;
    if (maxDepth > 0 && this.depth >= maxDepth && !this.makeRoom(maxDepth, entry)) return null;
    this.enqueued++;
    const ttl = this.args.messageTtlMs;
    if (ttl > 0) {
      const deadline = entry.message.timestamp + ttl;
      if (entry.expiresAt === 0 || deadline < entry.expiresAt) entry.expiresAt = deadline;
    }
    const stored = this.host.persist(this, entry);
    this.ready.push(entry);
    if (this.args.maxLength > 0) this.enforceMaxLength();
    if (stored === null) {
      this.dispatch();
      return null;
    }
    entry.stored = false;
    entry.persisted = true;
    // The store answers one commit batch's writes with one promise: the
    // entries it covers wait on it together, one handler for all of them.
    if (stored === this.unstoredWrite) {
      this.unstored.push(entry);
      return this.unstoredResult!;
    }
    const batch = [entry];
    this.unstored = batch;
    this.unstoredWrite = stored;
    this.unstoredResult = stored.then(
      () => this.committed(stored, batch),
      (err: unknown) => {
        this.uncommitted(stored, batch);
        throw err;
      },
    );
    return this.unstoredResult;
  }

  private committed(write: Promise<void>, batch: QueueEntry[]): void {
    if (this.unstoredWrite === write) this.forgetUnstored();
    for (const entry of batch) entry.stored = true;
    this.dispatch();
  }

  /** Not durable, so not accepted: take them out; their producers get an ERROR. */
  private uncommitted(write: Promise<void>, batch: QueueEntry[]): void {
    if (this.unstoredWrite === write) this.forgetUnstored();
    for (const entry of batch) {
      this.ready.remove(entry);
      entry.persisted = false;
      this.enqueued--;
    }
    this.dispatch();
  }

  private forgetUnstored(): void {
    this.unstored = [];
    this.unstoredWrite = null;
    this.unstoredResult = null;
  }

  /** Put back entries recovered from the store at start-up (already durable). */
  restore(entry: QueueEntry): void {
    entry.persisted = true;
    entry.deliveryRecord = true;
    this.ready.push(entry);
  }

  attach(subscription: Subscription): void {
    subscription.source = this;
    this.addConsumer(subscription);
  }

  /** Add a consumer whose source is something else (a wildcard subscription over several queues). */
  addConsumer(subscription: Subscription): void {
    this.consumers.add(subscription);
    this.dispatch();
  }

  detach(subscription: Subscription, unacked: QueueEntry[]): void {
    this.consumers.remove(subscription);
    if (this.autoDelete && this.consumers.count === 0) {
      this.host.autoDelete(this);
      return;
    }
    if (unacked.length > 0) {
      this.requeue(unacked, 'consumer-closed');
    } else {
      this.checkIdle();
      // A feed hands back what waits here once nobody on this node consumes it.
      if (this.feed !== null) this.feed.wake(this);
    }
  }

  /** Refused for good (NACK without requeue): dead-letter at once. */
  reject(entries: QueueEntry[]): void {
    for (const entry of entries) {
      entry.lastFailure = 'rejected';
      this.deadLettered++;
      this.host.deadLetter(this, entry, 'rejected');
    }
    this.checkIdle();
  }

  /** RabbitMQ's `x-max-length` with its default overflow: drop (dead-letter) the oldest. */
  private enforceMaxLength(): void {
    while (this.ready.count > this.args.maxLength) {
      const entry = this.ready.takeOldest();
      if (entry === undefined) return;
      this.deadLettered++;
      this.host.deadLetter(this, entry, 'maxlen');
    }
  }

  /**
   * The policy's maxDepth is reached. 'drop-oldest': drop waiting messages,
   * oldest first, until `arriving` fits. 'refuse': lose `arriving` (the
   * broker refuses a producer's SEND before it gets here; this is for copies
   * no producer can be told about). Returns whether `arriving` may go in.
   */
  private makeRoom(maxDepth: number, arriving: QueueEntry): boolean {
    if (this.policy.overflow !== 'drop-oldest') {
      this.dropped++;
      this.host.overflow?.(this, arriving);
      return false;
    }
    while (this.depth >= maxDepth) {
      const entry = this.ready.takeOldest() ?? this.scheduled.shift();
      if (entry === undefined) break;
      this.dropped++;
      if (entry.persisted) {
        entry.persisted = false;
        this.host.unpersist(this, entry);
      }
      this.host.overflow?.(this, entry);
    }
    return true;
  }

  acknowledged(entries: QueueEntry[]): void {
    for (const entry of entries) this.settle(entry);
    this.checkIdle();
  }

  /**
   * Failed deliveries come back: past the policy's redelivery limit they go
   * to the dead-letter queue; otherwise back in original order, after the
   * redelivery delay when one is configured.
   */
  requeue(entries: QueueEntry[], reason: string, unlimited = false): void {
    const now = Date.now();
    const back: QueueEntry[] = [];
    if (this.feed !== null) this.feed.requeued(this, entries);
    for (const entry of entries) {
      entry.lastFailure = reason;
      const limit = unlimited ? -1 : this.policy.maxRedeliveries;
      if (limit >= 0 && entry.deliveries > limit) {
        this.deadLettered++;
        this.host.deadLetter(this, entry, 'max-redeliveries');
        continue;
      }
      this.redelivered++;
      const delay = redeliveryDelay(this.policy, entry.deliveries);
      if (delay > 0) {
        entry.notBefore = now + delay;
        this.scheduled.add(entry);
      } else {
        back.push(entry);
      }
    }
    this.ready.returnInOrder(back);
    this.dispatch();
    this.checkIdle();
  }

  resume(): void {
    this.dispatch();
  }

  /** Drop every waiting message; returns how many. */
  purge(): number {
    let count = 0;
    for (const entry of this.ready.clear()) {
      if (entry.persisted) this.host.unpersist(this, entry);
      count++;
    }
    for (const entry of this.scheduled.clear()) {
      if (entry.persisted) this.host.unpersist(this, entry);
      count++;
    }
    return count;
  }

  /** The queue is removed (temp queue of a closed connection, deleted destination). */
  delete(): number {
    this.deleted = true;
    return this.purge();
  }

  /** Waiting entries in delivery order (priority, then publish order), without consuming them. */
  browse(limit: number): QueueEntry[] {
    return this.ready.browse(limit);
  }

  /**
   * How many more messages its consumers could take now beyond those already
   * waiting here; a consumer without a credit limit (auto ack) counts as `cap`.
   */
  demand(cap: number): number {
    return this.consumers.room(cap) - this.depth;
  }

  /**
   * Take the waiting entries (ready and scheduled) that `taken` selects out,
   * without settling them: a feed hands them back to where they came from.
   */
  takeWaiting(taken: (entry: QueueEntry) => boolean): QueueEntry[] {
    const out = this.ready.takeWhere(taken);
    for (const entry of this.scheduled.takeWhere(taken)) out.push(entry);
    return out;
  }

  /** Deliveries of this queue awaiting ACK/NACK (consumers reading several queues through a wildcard are not counted). */
  get inFlight(): number {
    return this.consumers.unackedFrom(this);
  }

  /** Take every waiting entry out (DLQ replay), in delivery order; the caller owns their stored copies now. */
  takeAll(): QueueEntry[] {
    const out = this.ready.browse(Number.POSITIVE_INFINITY);
    this.ready.clear();
    for (const entry of this.scheduled.clear()) out.push(entry);
    return out;
  }

  /** Put back entries takeAll() handed out and the caller could not place elsewhere. */
  putBack(entries: QueueEntry[]): void {
    this.ready.returnInOrder(entries);
    this.dispatch();
  }

  /** Visit every waiting entry without copying them (a clean stop walks a million, issue 9). */
  forEachEntry(visit: (entry: QueueEntry) => void): void {
    this.ready.forEach(visit);
    this.scheduled.forEach(visit);
  }

  /** Every entry this queue holds right now (ready and scheduled). */
  entries(): QueueEntry[] {
    return [...this.ready.toArray(), ...this.scheduled.toArray()];
  }

  /** Deliver waiting messages while some consumer can take them. Re-entrant calls fold into the running loop. */
  dispatch(): void {
    if (this.dispatching) {
      this.dispatchAgain = true;
      return;
    }
    this.dispatching = true;
    try {
      do {
        this.dispatchAgain = false;
        this.dispatchLoop();
      } while (this.dispatchAgain);
    } finally {
      this.dispatching = false;
    }
    if (this.feed !== null) this.feed.wake(this);
  }

  /**
   * Walk the ready messages, highest priority first, handing each to a
   * consumer that can take it. A message nobody can take right now (its
   * group's consumer is busy, or no selector matches) is passed over, within
   * a bounded lookahead, so it does not block the ones behind it.
   */
  private dispatchLoop(): void {
    if (this.consumers.count === 0 || this.deleted) return;
    const ready = this.ready;
    let now = 0;
    for (let p = PRIORITIES - 1; p >= 0; p--) {
      const deque = ready.ofPriority(p);
      let index = 0;
      while (index < deque.length && index < DISPATCH_LOOKAHEAD) {
        const entry = deque.at(index)!;
        // Order is kept: nothing after an uncommitted persistent message goes out before it.
        if (!entry.stored) return;
        const expires = entry.expiresAt;
        if (expires !== 0) {
          if (now === 0) now = Date.now();
          if (expires <= now) {
            ready.take(deque, index);
            this.expire(entry);
            continue;
          }
        }
        const consumer = this.consumers.pick(entry);
        if (consumer === NOBODY) return;
        if (consumer === null) {
          index++;
          continue;
        }
        this.hand(consumer, ready.take(deque, index));
      }
    }
  }

  /** Routing explain: each consumer's verdict on `message` as dispatch would decide it now. */
  explain(message: Message): QueueVerdict[] {
    return this.consumers.explain(message);
  }

  private hand(consumer: Subscription, entry: QueueEntry): void {
    entry.deliveries++;
    entry.owner = this;
    consumer.deliver(entry);
    if (consumer.ackMode === 'auto') this.settle(entry);
  }

  private settle(entry: QueueEntry): void {
    this.dequeued++;
    if (entry.persisted) {
      entry.persisted = false;
      this.host.unpersist(this, entry);
    }
  }

  private expire(entry: QueueEntry): void {
    this.expired++;
    this.host.deadLetter(this, entry, 'expired');
  }

  private checkIdle(): void {
    if (this.idle) this.host.idle(this);
  }
}
