import type { Message } from './message.js';
import { MessageDeque } from './message-deque.js';
import type { MessageSource, Subscription } from './subscription.js';

/**
 * Point-to-point destination: each message goes to exactly one consumer,
 * round-robin among those with credit and buffer room; messages wait here
 * while nobody can take them.
 */
export class Queue implements MessageSource {
  readonly name: string;
  private readonly ready = new MessageDeque();
  private consumers: Subscription[] = [];
  private cursor = 0;
  private dispatching = false;
  private dispatchAgain = false;
  /** Called when the queue is empty and unused, so its owner can forget it. */
  private readonly onIdle: (queue: Queue) => void;

  enqueued = 0;
  dequeued = 0;

  constructor(name: string, onIdle: (queue: Queue) => void) {
    this.name = name;
    this.onIdle = onIdle;
  }

  get depth(): number {
    return this.ready.length;
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  enqueue(message: Message): void {
    this.enqueued++;
    this.ready.push(message);
    this.dispatch();
  }

  attach(subscription: Subscription): void {
    subscription.source = this;
    this.consumers.push(subscription);
    this.dispatch();
  }

  detach(subscription: Subscription, unacked: Message[]): void {
    const index = this.consumers.indexOf(subscription);
    if (index >= 0) {
      this.consumers.splice(index, 1);
      if (this.cursor > index) this.cursor--;
      if (this.cursor >= this.consumers.length) this.cursor = 0;
    }
    if (unacked.length > 0) this.requeue(unacked);
    else this.checkIdle();
  }

  acknowledged(messages: Message[]): void {
    this.dequeued += messages.length;
    this.checkIdle();
  }

  requeue(messages: Message[]): void {
    for (const message of messages) message.redeliveries++;
    this.ready.insertInOrder(messages);
    this.dispatch();
    this.checkIdle();
  }

  resume(): void {
    this.dispatch();
  }

  /** Drop every waiting message (temp queue of a closed connection). */
  purge(): number {
    return this.ready.clear().length;
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
  }

  private dispatchLoop(): void {
    while (this.ready.length > 0) {
      const consumer = this.nextConsumer();
      if (consumer === undefined) return;
      const message = this.ready.shift()!;
      const redelivered = message.delivered;
      message.delivered = true;
      if (consumer.ackMode === 'auto') this.dequeued++;
      consumer.deliver(message, redelivered);
    }
  }

  /** Next consumer, round-robin from the cursor, that has credit and buffer room. */
  private nextConsumer(): Subscription | undefined {
    const count = this.consumers.length;
    for (let i = 0; i < count; i++) {
      const index = (this.cursor + i) % count;
      const candidate = this.consumers[index]!;
      if (candidate.hasCredit && candidate.consumer.ready) {
        this.cursor = (index + 1) % count;
        return candidate;
      }
    }
    return undefined;
  }

  private checkIdle(): void {
    if (this.consumers.length === 0 && this.ready.length === 0) this.onIdle(this);
  }

  /** Whether nothing waits and nobody listens. */
  get idle(): boolean {
    return this.consumers.length === 0 && this.ready.length === 0;
  }
}
