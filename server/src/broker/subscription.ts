import type { Message } from './message.js';

export type AckMode = 'auto' | 'client' | 'client-individual';

/**
 * What a subscription delivers to: the session, seen by the broker only
 * through this interface (the broker knows nothing of sockets).
 */
export interface Consumer {
  /** Identifies the owning connection (temp queues are private to it). */
  readonly ownerId: string;
  /** True while the connection's outbound buffer is below its high-water mark. */
  readonly ready: boolean;
  /** Write one MESSAGE. `tag` is the delivery tag to acknowledge (null in auto mode). */
  deliver(subscription: Subscription, message: Message, tag: number, redelivered: boolean): void;
}

/** Where a subscription takes messages from; a queue gives credit back on ack. */
export interface MessageSource {
  /** A subscriber acknowledged these messages: they are done. */
  acknowledged(messages: Message[]): void;
  /** These messages go back for redelivery, in their original order. */
  requeue(messages: Message[]): void;
  /** The subscription may take more messages now (credit or buffer space came back). */
  resume(): void;
  /** The subscription is gone; `unacked` (its messages in flight) go back for redelivery. */
  detach(subscription: Subscription, unacked: Message[]): void;
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
 * One SUBSCRIBE: its ack mode, credit, and the messages delivered to it and
 * not yet acknowledged, in delivery order.
 */
export class Subscription {
  readonly id: string;
  readonly handle: number;
  readonly destination: string;
  readonly ackMode: AckMode;
  readonly prefetch: number;
  readonly consumer: Consumer;
  /**
   * Set by the destination it attaches to. Topic subscriptions keep no copy
   * to redeliver, so their in-flight record is capped at the prefetch (oldest
   * forgotten) and an ACK for a forgotten delivery is not an error.
   */
  source: MessageSource | null = null;
  lenientAcks = false;
  /** Opaque per-subscription data of the session (its pre-encoded header line). */
  wirePrefix = '';
  private readonly inflight = new Map<number, Message>();
  private nextTag = 1;

  constructor(options: SubscriptionOptions) {
    this.id = options.id;
    this.handle = options.handle;
    this.destination = options.destination;
    this.ackMode = options.ackMode;
    this.prefetch = options.prefetch;
    this.consumer = options.consumer;
  }

  get unacked(): number {
    return this.inflight.size;
  }

  /** Room for one more message: auto-ack has no credit limit, client acks stop at the prefetch. */
  get hasCredit(): boolean {
    return this.ackMode === 'auto' || this.inflight.size < this.prefetch;
  }

  deliver(message: Message, redelivered: boolean): void {
    if (this.ackMode === 'auto') {
      this.consumer.deliver(this, message, 0, redelivered);
      return;
    }
    const tag = this.nextTag++;
    if (this.lenientAcks && this.inflight.size >= this.prefetch) {
      const oldest = this.inflight.keys().next();
      if (!oldest.done) this.inflight.delete(oldest.value);
    }
    this.inflight.set(tag, message);
    this.consumer.deliver(this, message, tag, redelivered);
  }

  /** Is `tag` a delivery still awaiting its ACK/NACK? */
  isPending(tag: number): boolean {
    return this.inflight.has(tag);
  }

  /**
   * Legacy lookup for STOMP 1.0/1.1, whose ACK names a message-id rather than
   * an ack id. Linear in the messages in flight, which the prefetch bounds.
   */
  tagOfMessage(messageId: string): number | undefined {
    for (const [tag, message] of this.inflight) if (message.id === messageId) return tag;
    return undefined;
  }

  /** Settle `tag`; in `client` mode also every earlier delivery (STOMP's cumulative ack). */
  private settle(tag: number): Message[] {
    const settled: Message[] = [];
    if (this.ackMode === 'client') {
      for (const [t, message] of this.inflight) {
        if (t > tag) break;
        settled.push(message);
        this.inflight.delete(t);
      }
    } else {
      const message = this.inflight.get(tag);
      if (message !== undefined) {
        settled.push(message);
        this.inflight.delete(tag);
      }
    }
    return settled;
  }

  ack(tag: number): void {
    const settled = this.settle(tag);
    if (settled.length > 0 && this.source !== null) {
      this.source.acknowledged(settled);
      this.source.resume();
    }
  }

  nack(tag: number): void {
    const settled = this.settle(tag);
    if (settled.length > 0 && this.source !== null) this.source.requeue(settled);
  }

  /** The consumer can take messages again (its connection drained). */
  resume(): void {
    this.source?.resume();
  }

  /** Hand every unacknowledged message back (UNSUBSCRIBE, disconnect) and detach. */
  close(): void {
    const source = this.source;
    this.source = null;
    if (source === null) return;
    const unacked = [...this.inflight.values()];
    this.inflight.clear();
    source.detach(this, unacked);
  }
}
