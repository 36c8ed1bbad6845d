/**
 * What a cluster feed relies on in Queue: how much its consumers can take
 * (demand), being told after each dispatch and about failed deliveries, and
 * taking its own entries back out without settling them.
 */
import { describe, expect, it } from 'vitest';
import { createMessage, type Message, QueueEntry } from '../../../server/src/broker/message.js';
import { Queue, type QueueFeed, type QueueHost } from '../../../server/src/broker/queue.js';
import {
  type AckMode,
  type Consumer,
  Subscription,
} from '../../../server/src/broker/subscription.js';
import { DEFAULT_CONFIG } from '../../../server/src/config.js';
import { createHeaders } from '../../../server/src/protocol/frame.js';

class Recording implements Consumer {
  readonly ownerId = 'c';
  ready = true;
  readonly got: Message[] = [];
  deliver(_s: Subscription, message: Message): void {
    this.got.push(message);
  }
}

const host: QueueHost = {
  persist: () => null,
  unpersist: () => {},
  deadLetter: () => {},
  idle: () => {},
  autoDelete: () => {},
};

class Feed implements QueueFeed {
  wakes = 0;
  requeuedCounts: number[] = [];
  wake(): void {
    this.wakes++;
  }
  requeued(_q: Queue, entries: readonly QueueEntry[]): void {
    for (const e of entries) this.requeuedCounts.push(e.deliveries);
  }
}

let n = 0;
function entry(): QueueEntry {
  n++;
  return new QueueEntry(
    createMessage(`m${n}`, n, createHeaders(), Buffer.alloc(0), {
      persistent: false,
      priority: 4,
      expires: 0,
      timestamp: Date.now(),
    }),
  );
}

function setup(ackMode: AckMode, prefetch: number) {
  const queue = new Queue('q', '/queue/q', { ...DEFAULT_CONFIG.destinationDefaults }, host);
  const feed = new Feed();
  queue.feed = feed;
  const consumer = new Recording();
  const subscription = new Subscription({
    id: 's',
    handle: 1,
    destination: '/queue/q',
    ackMode,
    prefetch,
    consumer,
  });
  return { queue, feed, consumer, subscription };
}

describe('Queue, fed from elsewhere', () => {
  it('asks for what client-ack consumers have credit for, minus what already waits', () => {
    const { queue, subscription, consumer } = setup('client-individual', 5);
    expect(queue.demand(100)).toBe(0);
    queue.attach(subscription);
    expect(queue.demand(100)).toBe(5);
    queue.restore(entry());
    queue.restore(entry());
    // Two waiting, not yet dispatched.
    expect(queue.demand(100)).toBe(3);
    queue.resume();
    expect(consumer.got).toHaveLength(2);
    expect(queue.demand(100)).toBe(3);
    consumer.ready = false;
    expect(queue.demand(100)).toBe(0);
  });

  it('counts an auto-ack consumer as the cap', () => {
    const { queue, subscription } = setup('auto', 1);
    queue.attach(subscription);
    expect(queue.demand(64)).toBe(64);
  });

  it('wakes the feed after each dispatch and when the last consumer leaves', () => {
    const { queue, feed, subscription } = setup('client-individual', 5);
    queue.attach(subscription);
    const before = feed.wakes;
    expect(before).toBeGreaterThan(0);
    subscription.close();
    expect(feed.wakes).toBeGreaterThan(before);
    expect(queue.consumerCount).toBe(0);
  });

  it('tells the feed the delivery counts of NACKed entries', () => {
    const { queue, feed, consumer, subscription } = setup('client-individual', 5);
    queue.attach(subscription);
    queue.restore(entry());
    queue.resume();
    expect(consumer.got).toHaveLength(1);
    subscription.nack(1);
    expect(feed.requeuedCounts).toEqual([1]);
  });

  it('takes only the selected waiting entries out, leaving the rest in order', () => {
    const { queue } = setup('client-individual', 5);
    const entries = [entry(), entry(), entry(), entry()];
    for (const e of entries) queue.restore(e);
    const taken = queue.takeWaiting((e) => e === entries[1] || e === entries[3]);
    expect(taken).toEqual([entries[1], entries[3]]);
    expect(queue.depth).toBe(2);
    expect(queue.browse(10)).toEqual([entries[0], entries[2]]);
  });
});
