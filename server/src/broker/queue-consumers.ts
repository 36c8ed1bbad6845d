/**
 * A queue's consumers and the choice of who gets the next message:
 * round-robin among those with credit and buffer room, the exclusive
 * consumer when there is one, a message group's owner while it lives.
 * pick() and explain() share one decision so explain cannot drift from
 * dispatch. Split from queue.ts (issue 9).
 */
import type { Message, QueueEntry } from './message.js';
import type { MessageSource, Subscription } from './subscription.js';

/** pick(): no consumer has credit and buffer room, so nothing more can go out now. */
export const NOBODY = Symbol('nobody');

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

/** The one decision pick() and explain() share. */
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

export class QueueConsumers {
  private readonly list: Subscription[] = [];
  private readonly groups = new Map<string, Subscription>();
  private exclusive: Subscription | null = null;
  /** Where the next round-robin walk starts. */
  private cursor = 0;

  get count(): number {
    return this.list.length;
  }

  add(subscription: Subscription): void {
    this.list.push(subscription);
    this.electExclusive();
  }

  /** Forget a consumer, and the message groups it owned. */
  remove(subscription: Subscription): void {
    const index = this.list.indexOf(subscription);
    if (index >= 0) {
      this.list.splice(index, 1);
      if (this.cursor > index) this.cursor--;
      if (this.cursor >= this.list.length) this.cursor = 0;
      this.electExclusive();
    }
    for (const [group, owner] of this.groups) if (owner === subscription) this.groups.delete(group);
  }

  /**
   * The consumer for `entry`: its group's consumer, else the next one
   * round-robin with credit, buffer room and a matching selector (only the
   * exclusive consumer, when there is one). Null when someone has room but
   * cannot take this message; NOBODY when no consumer has room at all.
   */
  pick(entry: QueueEntry): Subscription | null | typeof NOBODY {
    const exclusive = this.exclusive;
    const group = entry.message.groupId;
    if (group !== null) {
      const owner = this.groups.get(group);
      if (owner !== undefined) {
        if (hasRoom(owner)) return owner;
        return this.anyoneHasRoom() ? null : NOBODY;
      }
    }
    const count = this.list.length;
    let room = false;
    for (let i = 0; i < count; i++) {
      const index = (this.cursor + i) % count;
      const candidate = this.list[index]!;
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
    const count = this.list.length;
    let chosen = false;
    for (let i = 0; i < count; i++) {
      const candidate = this.list[(this.cursor + i) % count]!;
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

  /**
   * How many messages they could take now, at most `cap`; a consumer
   * without a credit limit (auto ack) counts as `cap`.
   */
  room(cap: number): number {
    let free = 0;
    for (const subscription of this.list) {
      if (!subscription.consumer.ready) continue;
      free +=
        subscription.ackMode === 'auto'
          ? cap
          : Math.max(0, subscription.prefetch - subscription.unacked);
      if (free >= cap) break;
    }
    return Math.min(free, cap);
  }

  /** Deliveries from `source` awaiting ACK/NACK (consumers reading it through a wildcard are not counted). */
  unackedFrom(source: MessageSource): number {
    let count = 0;
    for (const consumer of this.list) if (consumer.source === source) count += consumer.unacked;
    return count;
  }

  /** ActiveMQ's exclusive consumer: the first `activemq.exclusive` subscriber takes everything while it lives. */
  private electExclusive(): void {
    this.exclusive = this.list.find((c) => c.exclusive) ?? null;
  }

  private anyoneHasRoom(): boolean {
    for (const consumer of this.list) if (hasRoom(consumer)) return true;
    return false;
  }
}
