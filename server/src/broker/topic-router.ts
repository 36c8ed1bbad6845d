import type { Message, QueueEntry } from './message.js';
import type { MessageSource, Subscription } from './subscription.js';
import { SubscriptionTrie } from './subscription-trie.js';

/** Why a matching topic subscription does not get a message; null when it does. */
export type TopicRefusal = 'no-local' | 'selector';

/** The one decision route() and routing explain share. */
export function topicRefusal(subscription: Subscription, message: Message): TopicRefusal | null {
  if (subscription.noLocal && message.origin === subscription.consumer.ownerId) return 'no-local';
  if (subscription.selector !== null && !subscription.selector(message.headers)) return 'selector';
  return null;
}

/**
 * Every live topic subscription, literal or wildcard, in one trie keyed by
 * topic name: a publish looks its subscribers up once (cached per name), it
 * never scans all subscriptions. Topic subscriptions keep no copy to
 * redeliver, so ACK settles nothing and NACK drops (as ActiveMQ does).
 */
export class TopicRouter implements MessageSource {
  private readonly trie = new SubscriptionTrie<Subscription>();
  /** The trie key each subscription was added under. */
  private readonly nameOf = new Map<Subscription, string>();
  /** Told when a subscription leaves (presence). */
  onDetach: ((subscription: Subscription, name: string) => void) | null = null;

  get size(): number {
    return this.nameOf.size;
  }

  /** Start live delivery of topic `name` (a pattern for wildcards) to `subscription`, after `replay`. */
  attach(subscription: Subscription, name: string, replay: readonly Message[]): void {
    subscription.source = this;
    subscription.lenientAcks = true;
    for (const message of replay) {
      // Replay honours the subscription's selector exactly as live delivery does.
      if (subscription.selector !== null && !subscription.selector(message.headers)) continue;
      subscription.deliverMessage(message, true);
    }
    this.trie.add(name, subscription);
    this.nameOf.set(subscription, name);
  }

  detach(subscription: Subscription, _unacked: QueueEntry[]): void {
    const name = this.nameOf.get(subscription);
    if (name === undefined) return;
    this.nameOf.delete(subscription);
    this.trie.remove(name, subscription);
    this.onDetach?.(subscription, name);
  }

  /** Deliver `message`, published to topic `name`, to every matching subscriber. Returns how many got it. */
  route(name: string, message: Message): number {
    const targets = this.trie.match(name);
    let delivered = 0;
    for (let i = 0; i < targets.length; i++) {
      const subscription = targets[i]!;
      if (topicRefusal(subscription, message) !== null) continue;
      subscription.deliverMessage(message, false);
      delivered++;
    }
    return delivered;
  }

  /** The topic name (or pattern) of every live subscription. */
  names(): IterableIterator<string> {
    return this.nameOf.values();
  }

  /** Every live subscription with the topic name (or pattern) it listens on. */
  subscriptions(): IterableIterator<[Subscription, string]> {
    return this.nameOf.entries();
  }

  /** The live subscriptions matching topic `name` (the same lookup route() makes). */
  matching(name: string): readonly Subscription[] {
    return this.trie.match(name);
  }

  /** Live subscribers that would receive a message on topic `name`. */
  subscribersOf(name: string): number {
    return this.trie.match(name).length;
  }

  acknowledged(_entries: QueueEntry[]): void {}

  requeue(_entries: QueueEntry[], _reason: string): void {}

  reject(_entries: QueueEntry[]): void {}

  resume(): void {}
}
