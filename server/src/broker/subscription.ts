import { type Message, QueueEntry } from './message.js';
import type { TopicFlow } from './topic-flow.js';

export type AckMode = 'auto' | 'client' | 'client-individual';
export type NackMode = 'requeue' | 'requeue-unlimited' | 'reject';

/**
 * What a subscription delivers to: the session, seen by the broker only
 * through this interface (the broker knows nothing of sockets).
 */
export interface Consumer {
  /** Identifies the owning connection (temp queues are private to it). */
  readonly ownerId: string;
  /** True while the connection's outbound buffer is below its high-water mark. */
  readonly ready: boolean;
  /**
   * Write one MESSAGE. `tag` is the delivery tag to acknowledge (0 in auto
   * mode); `redeliveries` counts earlier deliveries of the same message
   * (> 0 means `redelivered:true`); `replay` marks topic history.
   */
  deliver(
    subscription: Subscription,
    message: Message,
    tag: number,
    redeliveries: number,
    replay: boolean,
  ): void;
  /**
   * Gate for a live topic message, asked only when the consumer is not
   * `ready` (its outbound buffer is above the high-water mark) or the
   * subscription is `limited`: true delivers it now; false means the
   * consumer's slow-consumer policy dropped it, or the subscription's flow
   * holds it for conflation. Without this method everything is delivered.
   */
  admit?(subscription: Subscription, message: Message): boolean;
}

/** Where a subscription takes messages from; a queue gives credit back on ack. */
export interface MessageSource {
  /** A subscriber acknowledged these entries: they are done. */
  acknowledged(entries: QueueEntry[]): void;
  /**
   * These deliveries failed (NACK): back for redelivery in original order, or
   * to the dead-letter queue past the redelivery limit (unless `unlimited`:
   * RabbitMQ has no such limit).
   */
  requeue(entries: QueueEntry[], reason: string, unlimited?: boolean): void;
  /** These deliveries are refused for good (NACK without requeue): straight to the dead-letter destination. */
  reject(entries: QueueEntry[]): void;
  /** The subscription may take more messages now (credit or buffer space came back). */
  resume(): void;
  /** The subscription is gone; `unacked` (its deliveries in flight) go back for redelivery. */
  detach(subscription: Subscription, unacked: QueueEntry[]): void;
}

export interface SubscriptionOptions {
  /** Client-chosen `id` (or the destination, for STOMP 1.0 without an id). */
  id: string;
  /** Session-local number that prefixes its ack ids so an ACK finds its subscription. */
  handle: number;
  destination: string;
  ackMode: AckMode;
  /** Most unacknowledged messages in flight (client acks only). */
  prefetch: number;
  consumer: Consumer;
}

/**
 * One SUBSCRIBE: its ack mode, credit, and the deliveries not yet
 * acknowledged, in delivery order.
 */
export class Subscription {
  readonly id: string;
  readonly handle: number;
  readonly destination: string;
  readonly ackMode: AckMode;
  readonly prefetch: number;
  /** Its session; reassigned when a resumed connection takes the subscription over. */
  consumer: Consumer;
  /** Set by the destination it attaches to. */
  source: MessageSource | null = null;
  /**
   * Topic subscriptions keep no copy to redeliver, so their in-flight record
   * is capped at the prefetch (oldest forgotten) and an ACK for a forgotten
   * delivery is not an error.
   */
  lenientAcks = false;
  /** Opaque per-subscription data of the session (its pre-encoded header line); set with setWirePrefix. */
  wirePrefix = '';
  /** The session's pre-encoded head of a plain delivery (`MESSAGE\n` + wirePrefix), built on first use. */
  wireHead: Buffer | null = null;
  /** JMS selector (`selector` header), compiled once; null delivers everything. */
  selector: ((headers: Record<string, string>) => boolean) | null = null;
  /** The selector as the client wrote it ('' = none), for the admin API and routing explain. */
  selectorText = '';
  /** The durable subscription name it consumes from ('' = not durable). */
  durableName = '';
  /** Messages handed to this subscription's consumer. */
  delivered = 0;
  /** ActiveMQ `activemq.exclusive`: the queue's sole consumer while it lives. */
  exclusive = false;
  /** ActiveMQ `activemq.noLocal`: skip topic messages published by the same connection. */
  noLocal = false;
  /** `x-presence:<name>` on a topic SUBSCRIBE: the name it is listed under in that topic's presence. */
  presence = '';
  /**
   * Topic flow state: `x-max-rate` budget, messages held for `x-conflate-key`,
   * and losses not yet reported. Null until one of those headers asks for it
   * or a first message is dropped.
   */
  flow: TopicFlow | null = null;
  /** `x-max-rate` or `x-conflate-key` was given: every live topic message goes through the consumer's admit(). */
  limited = false;
  /** Deliveries awaiting ACK/NACK by tag, in delivery order; null until the first one (auto-ack never has any). */
  private inflight: Map<number, QueueEntry> | null = null;
  private nextTag = 1;

  constructor(options: SubscriptionOptions) {
    this.id = options.id;
    this.handle = options.handle;
    this.destination = options.destination;
    this.ackMode = options.ackMode;
    this.prefetch = options.prefetch;
    this.consumer = options.consumer;
  }

  /** Set the session's per-subscription header line (and forget the head built from the old one). */
  setWirePrefix(prefix: string): void {
    this.wirePrefix = prefix;
    this.wireHead = null;
  }

  get unacked(): number {
    return this.inflight === null ? 0 : this.inflight.size;
  }

  /** Room for one more message: auto-ack has no credit limit, client acks stop at the prefetch. */
  get hasCredit(): boolean {
    return this.ackMode === 'auto' || this.unacked < this.prefetch;
  }

  /** Hand over a queue entry (its `deliveries` already counts this delivery). */
  deliver(entry: QueueEntry): void {
    this.delivered++;
    if (this.ackMode === 'auto') {
      this.consumer.deliver(this, entry.message, 0, entry.deliveries - 1, false);
      return;
    }
    const tag = this.nextTag++;
    this.inflight ??= new Map();
    this.inflight.set(tag, entry);
    this.consumer.deliver(this, entry.message, tag, entry.deliveries - 1, false);
  }

  /** Hand over a topic message (live or replayed history), unless the consumer's flow policies hold or drop it. */
  deliverMessage(message: Message, replay: boolean): void {
    // The hot path: one flag and the consumer's `ready` when nothing is behind or limited.
    if (!replay && (this.limited || !this.consumer.ready)) {
      if (this.consumer.admit?.(this, message) === false) return;
    }
    this.sendMessage(message, replay);
  }

  /**
   * Deliver what conflation held, newest per key, while the consumer has room
   * and the rate budget allows. Expired messages are dropped (and reported).
   */
  flushHeld(): void {
    const flow = this.flow;
    if (flow === null) return;
    while (flow.heldCount > 0 && this.consumer.ready && flow.take()) {
      const message = flow.next()!;
      if (message.expires !== 0 && message.expires <= Date.now()) {
        flow.drop('expired');
        continue;
      }
      this.sendMessage(message, false);
    }
  }

  private sendMessage(message: Message, replay: boolean): void {
    this.delivered++;
    if (this.ackMode === 'auto') {
      this.consumer.deliver(this, message, 0, 0, replay);
      return;
    }
    const tag = this.nextTag++;
    this.inflight ??= new Map();
    const inflight = this.inflight;
    if (inflight.size >= this.prefetch) {
      const oldest = inflight.keys().next();
      if (!oldest.done) inflight.delete(oldest.value);
    }
    inflight.set(tag, new QueueEntry(message, 1));
    this.consumer.deliver(this, message, tag, 0, replay);
  }

  /** Is `tag` a delivery still awaiting its ACK/NACK? */
  isPending(tag: number): boolean {
    return this.inflight?.has(tag) === true;
  }

  /**
   * Legacy lookup for STOMP 1.0/1.1, whose ACK names a message-id rather than
   * an ack id. Linear in the deliveries in flight, which the prefetch bounds.
   */
  tagOfMessage(messageId: string): number | undefined {
    if (this.inflight === null) return undefined;
    for (const [tag, entry] of this.inflight) if (entry.message.id === messageId) return tag;
    return undefined;
  }

  /** Settle `tag`; in `client` mode also every earlier delivery (STOMP's cumulative ack). */
  private settle(tag: number): QueueEntry[] {
    const settled: QueueEntry[] = [];
    const inflight = this.inflight;
    if (inflight === null) return settled;
    if (this.ackMode === 'client') {
      for (const [t, entry] of inflight) {
        if (t > tag) break;
        settled.push(entry);
        inflight.delete(t);
      }
    } else {
      const entry = inflight.get(tag);
      if (entry !== undefined) {
        settled.push(entry);
        inflight.delete(tag);
      }
    }
    return settled;
  }

  /** ACK: returns how many deliveries it settled. */
  ack(tag: number): number {
    const settled = this.settle(tag);
    if (settled.length > 0 && this.source !== null) {
      this.source.acknowledged(settled);
      this.source.resume();
    }
    return settled.length;
  }

  /**
   * NACK: redeliver up to the limit, redeliver without limit (RabbitMQ), or
   * dead-letter at once (ActiveMQ's NACK, RabbitMQ's `requeue:false`).
   */
  nack(tag: number, mode: NackMode = 'requeue'): number {
    const settled = this.settle(tag);
    if (settled.length === 0 || this.source === null) return settled.length;
    if (mode === 'reject') this.source.reject(settled);
    else this.source.requeue(settled, 'nack', mode === 'requeue-unlimited');
    return settled.length;
  }

  /** The consumer can take messages again (its connection drained). */
  resume(): void {
    if (this.flow !== null && this.flow.heldCount > 0) this.flushHeld();
    this.source?.resume();
  }

  /** Hand every unacknowledged delivery back (UNSUBSCRIBE, disconnect) and detach. */
  close(): void {
    const source = this.source;
    this.source = null;
    if (source === null) return;
    const unacked = this.inflight === null ? [] : [...this.inflight.values()];
    this.inflight = null;
    source.detach(this, unacked);
  }
}
