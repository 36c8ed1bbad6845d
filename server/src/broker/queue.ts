import type { DestinationPolicy } from '../config.js';
import type { Message, QueueEntry } from './message.js';
import { MessageDeque } from './message-deque.js';
import { InOutRates } from './rates.js';
import type { MessageSource, Subscription } from './subscription.js';

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

const PRIORITIES = 10;
/**
 * How far past a message nobody can take (busy group, no matching selector)
 * the dispatcher looks for others, per priority (ActiveMQ pages 200 too).
 */
const DISPATCH_LOOKAHEAD = 200;
/** pick(): no consumer has credit and buffer room, so nothing more can go out now. */
const NOBODY = Symbol('nobody');

function hasRoom(subscription: Subscription): boolean {
  return subscription.hasCredit && subscription.consumer.ready;
}

/**
 * Why a queue consumer passes a message over: another consumer is the
 * exclusive one, it has no credit or buffer room now (the message waits),
 * its selector is false, or (explain only) the message's group belongs to
 * another consumer. Null: it can take it.
 */
export type QueueRefusal = 'exclusive' | 'no-room' | 'selector' | 'group';

export interface QueueVerdict {
  subscription: Subscription;
  refusal: QueueRefusal | null;
  next: boolean;
}

/** The one decision pick() and explain() share, so explain cannot drift from dispatch. */
function consumerRefusal(
  candidate: Subscription,
  message: Message,
  exclusive: Subscription | null,
): QueueRefusal | null {
  if (exclusive !== null && candidate !== exclusive) return 'exclusive';
  if (!hasRoom(candidate)) return 'no-room';
  if (candidate.selector !== null && !candidate.selector(message.headers)) return 'selector';
  return null;
}

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
  private readonly ready: MessageDeque[] = Array.from(
    { length: PRIORITIES },
    () => new MessageDeque(),
  );
  private readyCount = 0;
  /** Entries waiting out a redelivery delay, soonest first. */
  private scheduled: QueueEntry[] = [];
  private scheduleTimer: NodeJS.Timeout | null = null;
  private consumers: Subscription[] = [];
  private readonly groups = new Map<string, Subscription>();
  private exclusive: Subscription | null = null;
  private cursor = 0;
  private dispatching = false;
  private dispatchAgain = false;
  private deleted = false;
  /** RabbitMQ queue arguments; set once, at first declaration. */
  args: QueueArguments = NO_QUEUE_ARGUMENTS;
  /** Deleted when its last consumer leaves (the private queue behind an exchange subscription). */
  autoDelete = false;
  /** Set when the queue is shared by a cluster: its messages come from the feed, not from enqueue(). */
  feed: QueueFeed | null = null;
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
    return this.readyCount + this.scheduled.length;
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  /** Whether a SEND must be refused: maxDepth messages wait and the policy's overflow is 'refuse'. */
  get refusing(): boolean {
    const { maxDepth, overflow } = this.policy;
    return maxDepth > 0 && overflow === 'refuse' && this.depth >= maxDepth;
  }

  /** Whether nothing waits and nobody listens. */
  get idle(): boolean {
    return this.consumers.length === 0 && this.depth === 0;
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
    this.pushReady(entry);
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
      this.removeReady(entry);
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
    this.pushReady(entry);
  }

  attach(subscription: Subscription): void {
    subscription.source = this;
    this.addConsumer(subscription);
  }

  /** Add a consumer whose source is something else (a wildcard subscription over several queues). */
  addConsumer(subscription: Subscription): void {
    this.consumers.push(subscription);
    this.electExclusive();
    this.dispatch();
  }

  /** ActiveMQ's exclusive consumer: the first `activemq.exclusive` subscriber takes everything while it lives. */
  private electExclusive(): void {
    this.exclusive = this.consumers.find((c) => c.exclusive) ?? null;
  }

  detach(subscription: Subscription, unacked: QueueEntry[]): void {
    const index = this.consumers.indexOf(subscription);
    if (index >= 0) {
      this.consumers.splice(index, 1);
      if (this.cursor > index) this.cursor--;
      if (this.cursor >= this.consumers.length) this.cursor = 0;
      this.electExclusive();
    }
    for (const [group, owner] of this.groups) if (owner === subscription) this.groups.delete(group);
    if (this.autoDelete && this.consumers.length === 0) {
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
    while (this.readyCount > this.args.maxLength) {
      const oldest = this.oldestReady();
      if (oldest === undefined) return;
      const entry = this.takeReady(oldest, 0);
      this.deadLettered++;
      this.host.deadLetter(this, entry, 'maxlen');
    }
  }

  /** The ready deque whose head was published first. */
  private oldestReady(): MessageDeque | undefined {
    let oldest: MessageDeque | undefined;
    for (const deque of this.ready) {
      const head = deque.peek();
      if (head !== undefined && (oldest === undefined || head.seq < oldest.peek()!.seq))
        oldest = deque;
    }
    return oldest;
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
      const oldest = this.oldestReady();
      let entry: QueueEntry | undefined;
      if (oldest !== undefined) {
        entry = this.takeReady(oldest, 0);
      } else {
        entry = this.scheduled.shift();
        if (entry === undefined) break;
        this.armTimer();
      }
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
      const delay = this.redeliveryDelay(entry.deliveries);
      if (delay > 0) {
        entry.notBefore = now + delay;
        this.schedule(entry);
      } else {
        back.push(entry);
      }
    }
    this.returnToReady(back);
    this.dispatch();
    this.checkIdle();
  }

  resume(): void {
    this.dispatch();
  }

  /** Drop every waiting message; returns how many. */
  purge(): number {
    let count = 0;
    for (const deque of this.ready) {
      for (const entry of deque.clear()) {
        if (entry.persisted) this.host.unpersist(this, entry);
        count++;
      }
    }
    for (const entry of this.scheduled) {
      if (entry.persisted) this.host.unpersist(this, entry);
      count++;
    }
    this.scheduled = [];
    this.readyCount = 0;
    this.clearTimer();
    return count;
  }

  /** The queue is removed (temp queue of a closed connection, deleted destination). */
  delete(): number {
    this.deleted = true;
    return this.purge();
  }

  /** Waiting entries in delivery order (priority, then publish order), without consuming them. */
  browse(limit: number): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (let p = PRIORITIES - 1; p >= 0 && out.length < limit; p--) {
      for (const entry of this.ready[p]!.toArray()) {
        if (out.length >= limit) break;
        out.push(entry);
      }
    }
    return out;
  }

  /**
   * How many more messages its consumers could take now beyond those already
   * waiting here; a consumer without a credit limit (auto ack) counts as `cap`.
   */
  demand(cap: number): number {
    let free = 0;
    for (const subscription of this.consumers) {
      if (!subscription.consumer.ready) continue;
      free +=
        subscription.ackMode === 'auto'
          ? cap
          : Math.max(0, subscription.prefetch - subscription.unacked);
      if (free >= cap) break;
    }
    return Math.min(free, cap) - this.depth;
  }

  /**
   * Take the waiting entries (ready and scheduled) that `taken` selects out,
   * without settling them: a feed hands them back to where they came from.
   */
  takeWaiting(taken: (entry: QueueEntry) => boolean): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (const deque of this.ready) {
      const kept: QueueEntry[] = [];
      for (const entry of deque.clear()) (taken(entry) ? out : kept).push(entry);
      for (const entry of kept) deque.push(entry);
    }
    const keptScheduled: QueueEntry[] = [];
    for (const entry of this.scheduled) (taken(entry) ? out : keptScheduled).push(entry);
    this.scheduled = keptScheduled;
    this.readyCount = this.ready.reduce((sum, deque) => sum + deque.length, 0);
    this.armTimer();
    return out;
  }

  /** Deliveries of this queue awaiting ACK/NACK (consumers reading several queues through a wildcard are not counted). */
  get inFlight(): number {
    let count = 0;
    for (const consumer of this.consumers) if (consumer.source === this) count += consumer.unacked;
    return count;
  }

  /** Take every waiting entry out (DLQ replay), in delivery order; the caller owns their stored copies now. */
  takeAll(): QueueEntry[] {
    const out = this.browse(Number.POSITIVE_INFINITY);
    out.push(...this.scheduled);
    for (const deque of this.ready) deque.clear();
    this.readyCount = 0;
    this.scheduled = [];
    this.clearTimer();
    return out;
  }

  /** Put back entries takeAll() handed out and the caller could not place elsewhere. */
  putBack(entries: QueueEntry[]): void {
    this.returnToReady(entries);
    this.dispatch();
  }

  /** Every entry this queue holds right now (ready and scheduled), for a clean shutdown's bookkeeping. */
  /** Visit every waiting entry without copying them (a clean stop walks a million, issue 9). */
  forEachEntry(visit: (entry: QueueEntry) => void): void {
    for (const deque of this.ready) for (let i = 0; i < deque.length; i++) visit(deque.at(i)!);
    for (const entry of this.scheduled) visit(entry);
  }

  entries(): QueueEntry[] {
    return [...this.ready.flatMap((deque) => deque.toArray()), ...this.scheduled];
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
    if (this.consumers.length === 0 || this.deleted) return;
    let now = 0;
    for (let p = PRIORITIES - 1; p >= 0; p--) {
      const deque = this.ready[p]!;
      let index = 0;
      while (index < deque.length && index < DISPATCH_LOOKAHEAD) {
        const entry = deque.at(index)!;
        // Order is kept: nothing after an uncommitted persistent message goes out before it.
        if (!entry.stored) return;
        const expires = entry.expiresAt;
        if (expires !== 0) {
          if (now === 0) now = Date.now();
          if (expires <= now) {
            this.takeReady(deque, index);
            this.expire(entry);
            continue;
          }
        }
        const consumer = this.pick(entry);
        if (consumer === NOBODY) return;
        if (consumer === null) {
          index++;
          continue;
        }
        this.hand(consumer, this.takeReady(deque, index));
      }
    }
  }

  /**
   * The consumer for `entry`: its group's consumer, else the next one
   * round-robin with credit, buffer room and a matching selector (only the
   * exclusive consumer, when there is one). Null when someone has room but
   * cannot take this message; NOBODY when no consumer has room at all.
   */
  private pick(entry: QueueEntry): Subscription | null | typeof NOBODY {
    const exclusive = this.exclusive;
    const group = entry.message.groupId;
    if (group !== null) {
      const owner = this.groups.get(group);
      if (owner !== undefined) {
        if (hasRoom(owner)) return owner;
        return this.anyoneHasRoom() ? null : NOBODY;
      }
    }
    const count = this.consumers.length;
    let room = false;
    for (let i = 0; i < count; i++) {
      const index = (this.cursor + i) % count;
      const candidate = this.consumers[index]!;
      const refusal = consumerRefusal(candidate, entry.message, exclusive);
      if (refusal === 'exclusive' || refusal === 'no-room') continue;
      room = true;
      if (refusal !== null) continue;
      this.cursor = (index + 1) % count;
      if (group !== null) this.groups.set(group, candidate);
      return candidate;
    }
    return room ? null : NOBODY;
  }

  /**
   * Each consumer's verdict on `message` as dispatch (pick) would decide it
   * now, in round-robin order from the next one: routing explain. `next` is
   * the consumer that would get it.
   */
  explain(message: Message): QueueVerdict[] {
    const out: QueueVerdict[] = [];
    const owner = message.groupId === null ? undefined : this.groups.get(message.groupId);
    const count = this.consumers.length;
    let chosen = false;
    for (let i = 0; i < count; i++) {
      const candidate = this.consumers[(this.cursor + i) % count]!;
      // As pick(): a group's owner takes its messages whenever it has room.
      let refusal: QueueRefusal | null;
      if (owner === undefined) refusal = consumerRefusal(candidate, message, this.exclusive);
      else if (candidate !== owner) refusal = 'group';
      else refusal = hasRoom(candidate) ? null : 'no-room';
      const next = refusal === null && !chosen;
      if (next) chosen = true;
      out.push({ subscription: candidate, refusal, next });
    }
    return out;
  }

  private anyoneHasRoom(): boolean {
    for (const consumer of this.consumers) if (hasRoom(consumer)) return true;
    return false;
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

  private pushReady(entry: QueueEntry): void {
    this.ready[entry.priority]!.push(entry);
    this.readyCount++;
  }

  private takeReady(deque: MessageDeque, index: number): QueueEntry {
    this.readyCount--;
    return deque.removeAt(index)!;
  }

  private removeReady(entry: QueueEntry): void {
    const deque = this.ready[entry.priority]!;
    for (let i = 0; i < deque.length; i++) {
      if (deque.at(i) === entry) {
        this.takeReady(deque, i);
        return;
      }
    }
  }

  private returnToReady(entries: QueueEntry[]): void {
    if (entries.length === 0) return;
    const byPriority = new Map<number, QueueEntry[]>();
    for (const entry of entries) {
      const list = byPriority.get(entry.priority);
      if (list === undefined) byPriority.set(entry.priority, [entry]);
      else list.push(entry);
    }
    for (const [priority, list] of byPriority) this.ready[priority]!.insertInOrder(list);
    this.readyCount += entries.length;
  }

  /** Exponential backoff from the policy: delay × multiplier^(n-1), capped. */
  private redeliveryDelay(deliveries: number): number {
    const { redeliveryDelayMs, redeliveryBackoffMultiplier, maxRedeliveryDelayMs } = this.policy;
    if (redeliveryDelayMs === 0) return 0;
    const delay = redeliveryDelayMs * redeliveryBackoffMultiplier ** Math.max(0, deliveries - 1);
    return Math.min(delay, maxRedeliveryDelayMs);
  }

  private schedule(entry: QueueEntry): void {
    let i = this.scheduled.length;
    while (i > 0 && this.scheduled[i - 1]!.notBefore > entry.notBefore) i--;
    this.scheduled.splice(i, 0, entry);
    this.armTimer();
  }

  private armTimer(): void {
    this.clearTimer();
    const first = this.scheduled[0];
    if (first === undefined) return;
    this.scheduleTimer = setTimeout(
      () => this.releaseDue(),
      Math.max(0, first.notBefore - Date.now()),
    );
    // A pending redelivery should not by itself keep the process alive.
    this.scheduleTimer.unref();
  }

  private clearTimer(): void {
    if (this.scheduleTimer !== null) clearTimeout(this.scheduleTimer);
    this.scheduleTimer = null;
  }

  private releaseDue(): void {
    this.scheduleTimer = null;
    const now = Date.now();
    let due = 0;
    while (due < this.scheduled.length && this.scheduled[due]!.notBefore <= now) due++;
    this.returnToReady(this.scheduled.splice(0, due));
    this.armTimer();
    this.dispatch();
  }

  private checkIdle(): void {
    if (this.idle) this.host.idle(this);
  }
}
