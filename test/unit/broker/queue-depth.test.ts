/** Queue maxDepth with overflow 'refuse' and 'drop-oldest' (DestinationPolicy). */
import { describe, expect, it } from 'vitest';
import { createMessage, type Message, QueueEntry } from '../../../server/src/broker/message.js';
import { Queue, type QueueHost } from '../../../server/src/broker/queue.js';
import { type Consumer, Subscription } from '../../../server/src/broker/subscription.js';
import { DEFAULT_CONFIG, type DestinationPolicy } from '../../../server/src/config.js';
import { createHeaders } from '../../../server/src/protocol/frame.js';

class Host implements QueueHost {
  readonly overflowed: number[] = [];
  readonly unpersisted: number[] = [];
  persist(): null {
    return null;
  }
  unpersist(_queue: Queue, entry: QueueEntry): void {
    this.unpersisted.push(entry.seq);
  }
  deadLetter(): void {}
  idle(): void {}
  autoDelete(): void {}
  overflow(_queue: Queue, entry: QueueEntry): void {
    this.overflowed.push(entry.seq);
  }
}

class Recorder implements Consumer {
  readonly ownerId = 'c';
  ready = true;
  readonly got: number[] = [];
  deliver(_s: Subscription, message: Message): void {
    this.got.push(message.seq);
  }
}

let seq = 1;
function entry(priority = 4): QueueEntry {
  const n = seq++;
  return new QueueEntry(
    createMessage(`m${n}`, n, createHeaders(), Buffer.alloc(0), {
      persistent: false,
      priority,
      expires: 0,
      timestamp: Date.now(),
    }),
  );
}

function makeQueue(policy: Partial<DestinationPolicy>) {
  const host = new Host();
  const queue = new Queue(
    'q',
    '/queue/q',
    { ...DEFAULT_CONFIG.destinationDefaults, ...policy },
    host,
  );
  return { queue, host };
}

function consume(queue: Queue): Recorder {
  const consumer = new Recorder();
  queue.attach(
    new Subscription({
      id: 's',
      handle: 1,
      destination: '/queue/q',
      ackMode: 'auto',
      prefetch: 10,
      consumer,
    }),
  );
  return consumer;
}

describe('Queue maxDepth', () => {
  it('is unlimited by default (maxDepth 0)', () => {
    const { queue } = makeQueue({});
    for (let i = 0; i < 5000; i++) queue.enqueue(entry());
    expect(queue.depth).toBe(5000);
    expect(queue.refusing).toBe(false);
  });

  it("'refuse': says so once full, and loses an arriving copy rather than grow", () => {
    const { queue, host } = makeQueue({ maxDepth: 2, overflow: 'refuse' });
    const [a, b, c] = [entry(), entry(), entry()];
    queue.enqueue(a);
    expect(queue.refusing).toBe(false);
    queue.enqueue(b);
    expect(queue.refusing).toBe(true);
    expect(queue.enqueue(c)).toBeNull();
    expect(queue.depth).toBe(2);
    expect(queue.dropped).toBe(1);
    expect(host.overflowed).toEqual([c.seq]);
    expect(consume(queue).got).toEqual([a.seq, b.seq]);
    expect(queue.refusing).toBe(false);
  });

  it("'drop-oldest': drops the earliest published waiting message, whatever its priority", () => {
    const { queue, host } = makeQueue({ maxDepth: 3, overflow: 'drop-oldest' });
    const low = entry(1);
    const high = entry(9);
    const mid = entry(4);
    const next = entry(4);
    const last = entry(9);
    for (const e of [low, high, mid, next, last]) queue.enqueue(e);
    expect(queue.depth).toBe(3);
    expect(queue.refusing).toBe(false);
    expect(host.overflowed).toEqual([low.seq, high.seq]);
    expect(queue.dropped).toBe(2);
    // Priority order among what is left.
    expect(consume(queue).got).toEqual([last.seq, mid.seq, next.seq]);
  });

  it("'drop-oldest' removes the stored copy of a dropped persistent message", () => {
    const { queue, host } = makeQueue({ maxDepth: 1, overflow: 'drop-oldest' });
    const first = entry();
    queue.restore(first); // recovered from the store: persisted
    queue.enqueue(entry());
    expect(host.unpersisted).toEqual([first.seq]);
  });
});
