import type { HistoryRequest, TopicHistory } from './history.js';
import type { Message, QueueEntry } from './message.js';
import type { MessageSource, Subscription } from './subscription.js';

/**
 * Publish-subscribe destination: every current subscriber gets every
 * message. Optionally keeps recent messages for replay (topic history).
 * Durable subscriptions are queues the broker feeds alongside.
 */
export class Topic implements MessageSource {
  readonly name: string;
  readonly history: TopicHistory | null;
  private subscribers: Subscription[] = [];
  private readonly onIdle: (topic: Topic) => void;
  published = 0;

  constructor(name: string, history: TopicHistory | null, onIdle: (topic: Topic) => void) {
    this.name = name;
    this.history = history;
    this.onIdle = onIdle;
  }

  get subscriberCount(): number {
    return this.subscribers.length;
  }

  /** Whether nobody listens and nothing is retained: the topic can be forgotten. */
  get idle(): boolean {
    return this.subscribers.length === 0 && (this.history === null || this.history.size === 0);
  }

  /**
   * Attach a subscriber, first replaying the history it asked for. Both
   * happen in this one synchronous call, so no publish can fall between
   * the replayed messages and the live ones: no gap, no duplicate.
   */
  attach(subscription: Subscription, history: HistoryRequest | null, now: number): void {
    subscription.source = this;
    subscription.lenientAcks = true;
    if (history !== null && this.history !== null) {
      for (const message of this.history.select(history, now))
        subscription.deliverMessage(message, true);
    }
    this.subscribers.push(subscription);
  }

  /** Remove a subscriber. Its unacked topic messages are dropped: a non-durable topic keeps no copy. */
  detach(subscription: Subscription, _unacked: QueueEntry[]): void {
    // Copy-on-write: a publish loop running over the old list stays valid.
    this.subscribers = this.subscribers.filter((s) => s !== subscription);
    if (this.idle) this.onIdle(this);
  }

  /** Deliver to every live subscriber; returns the highest history seq retention dropped (0 if none). */
  publish(message: Message, now: number): number {
    this.published++;
    const dropped = this.history === null ? 0 : this.history.append(message, now);
    const targets = this.subscribers;
    for (let i = 0; i < targets.length; i++) targets[i]!.deliverMessage(message, false);
    return dropped;
  }

  /** Topic acks settle nothing: a non-durable topic keeps no copy to redeliver. */
  acknowledged(_entries: QueueEntry[]): void {}

  /** A NACKed topic message is dropped: a non-durable topic keeps no copy to redeliver (as ActiveMQ does). */
  requeue(_entries: QueueEntry[], _reason: string): void {}

  resume(): void {}
}
