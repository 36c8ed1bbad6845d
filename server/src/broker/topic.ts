import type { Message } from './message.js';
import type { MessageSource, Subscription } from './subscription.js';

/**
 * Publish-subscribe destination: every current subscriber gets every
 * message. Nothing is kept for absent subscribers (durable subscriptions and
 * history live in the persistence layer).
 */
export class Topic implements MessageSource {
  readonly name: string;
  private subscribers: Subscription[] = [];
  private readonly onIdle: (topic: Topic) => void;
  published = 0;

  constructor(name: string, onIdle: (topic: Topic) => void) {
    this.name = name;
    this.onIdle = onIdle;
  }

  get subscriberCount(): number {
    return this.subscribers.length;
  }

  attach(subscription: Subscription): void {
    subscription.source = this;
    subscription.lenientAcks = true;
    this.subscribers.push(subscription);
  }

  detach(subscription: Subscription): void {
    // Unacked topic messages are dropped: a non-durable topic keeps no copy.
    // Copy-on-write: a publish loop running over the old list stays valid.
    this.subscribers = this.subscribers.filter((s) => s !== subscription);
    if (this.subscribers.length === 0) this.onIdle(this);
  }

  publish(message: Message): void {
    this.published++;
    const targets = this.subscribers;
    for (let i = 0; i < targets.length; i++) targets[i]!.deliver(message, false);
  }

  /** Topic acks settle nothing: a non-durable topic keeps no copy to redeliver. */
  acknowledged(): void {}

  /** A NACKed topic message is dropped: a non-durable topic keeps no copy to redeliver (as ActiveMQ does). */
  requeue(): void {}

  resume(): void {}
}
