import { describe, expect, it } from 'vitest';
import { createMessage, type Message, QueueEntry } from '../../../server/src/broker/message.js';
import { Queue, type QueueHost } from '../../../server/src/broker/queue.js';
import {
  type AckMode,
  type Consumer,
  Subscription,
} from '../../../server/src/broker/subscription.js';
import { DEFAULT_CONFIG, type DestinationPolicy } from '../../../server/src/config.js';
import { createHeaders } from '../../../server/src/protocol/frame.js';

/** A consumer that records what it is given; `ready` can be toggled to model a full connection. */
class RecordingConsumer implements Consumer {
  readonly ownerId: string;
  ready = true;
  readonly got: { seq: number; tag: number; redeliveries: number }[] = [];
  constructor(name: string) {
    this.ownerId = name;
  }
  deliver(_subscription: Subscription, message: Message, tag: number, redeliveries: number): void {
    this.got.push({ seq: message.seq, tag, redeliveries });
  }
}

/** Records what a queue hands back to its broker (no store: nothing persistent here). */
class RecordingHost implements QueueHost {
  readonly deadLettered: { seq: number; reason: string }[] = [];
  idleCalls = 0;
  persist(): Promise<void> | null {
    return null;
  }
  unpersist(): void {}
  deadLetter(_queue: Queue, entry: QueueEntry, reason: string): void {
    this.deadLettered.push({ seq: entry.seq, reason });
  }
  idle(): void {
    this.idleCalls++;
  }
  autoDelete(): void {}
}

let seq = 1;
function entry(headers: Record<string, string> = {}, priority = 4, expires = 0): QueueEntry {
  const n = seq++;
  const h = createHeaders();
  Object.assign(h, headers);
  return new QueueEntry(
    createMessage(`m${n}`, n, h, Buffer.alloc(0), {
      persistent: false,
      priority,
      expires,
      timestamp: Date.now(),
    }),
  );
}

function makeQueue(name: string, policy: Partial<DestinationPolicy> = {}) {
  const host = new RecordingHost();
  const queue = new Queue(
    name,
    `/queue/${name}`,
    { ...DEFAULT_CONFIG.destinationDefaults, ...policy },
    host,
  );
  return { queue, host };
}

function consumerOn(queue: Queue, name: string, ackMode: AckMode = 'auto', prefetch = 1000) {
  const consumer = new RecordingConsumer(name);
  const subscription = new Subscription({
    id: name,
    handle: 1,
    destination: `/queue/${queue.name}`,
    ackMode,
    prefetch,
    consumer,
  });
  queue.attach(subscription);
  return { consumer, subscription };
}

describe('Queue', () => {
  it('spreads messages round-robin, each to exactly one consumer', () => {
    const { queue } = makeQueue('rr');
    const consumers = ['a', 'b', 'c'].map((n) => consumerOn(queue, n).consumer);
    const sent = Array.from({ length: 9 }, () => entry());
    for (const e of sent) queue.enqueue(e);
    expect(consumers.map((c) => c.got.length)).toEqual([3, 3, 3]);
    const all = consumers.flatMap((c) => c.got.map((g) => g.seq)).sort((x, y) => x - y);
    expect(all).toEqual(sent.map((e) => e.seq));
  });

  it('keeps messages until a consumer arrives', () => {
    const { queue } = makeQueue('wait');
    const sent = [entry(), entry()];
    for (const e of sent) queue.enqueue(e);
    expect(queue.depth).toBe(2);
    const { consumer } = consumerOn(queue, 'late');
    expect(consumer.got.map((g) => g.seq)).toEqual(sent.map((e) => e.seq));
    expect(queue.depth).toBe(0);
  });

  it('stops at the prefetch and resumes when acks return credit', () => {
    const { queue } = makeQueue('credit');
    const { consumer, subscription } = consumerOn(queue, 'slow', 'client-individual', 2);
    for (let i = 0; i < 5; i++) queue.enqueue(entry());
    expect(consumer.got).toHaveLength(2);
    subscription.ack(consumer.got[0]!.tag);
    expect(consumer.got).toHaveLength(3);
    expect(queue.depth).toBe(2);
  });

  it('cumulative client ack settles every earlier delivery', () => {
    const { queue } = makeQueue('cumulative');
    const { consumer, subscription } = consumerOn(queue, 'c', 'client', 3);
    for (let i = 0; i < 6; i++) queue.enqueue(entry());
    expect(consumer.got).toHaveLength(3);
    subscription.ack(consumer.got[2]!.tag);
    expect(subscription.unacked).toBe(3);
    expect(consumer.got).toHaveLength(6);
  });

  it('skips consumers whose connection is full and delivers to them once they drain', () => {
    const { queue } = makeQueue('full');
    const a = consumerOn(queue, 'a');
    const b = consumerOn(queue, 'b');
    a.consumer.ready = false;
    for (let i = 0; i < 4; i++) queue.enqueue(entry());
    expect(a.consumer.got).toHaveLength(0);
    expect(b.consumer.got).toHaveLength(4);
    b.consumer.ready = false;
    queue.enqueue(entry());
    expect(queue.depth).toBe(1);
    a.consumer.ready = true;
    a.subscription.resume();
    expect(a.consumer.got).toHaveLength(1);
  });

  it('redelivers unacked messages of a closed subscription first, in original order, counted', () => {
    const { queue } = makeQueue('redeliver');
    const first = consumerOn(queue, 'first', 'client-individual', 3);
    const sent = Array.from({ length: 5 }, () => entry());
    for (const e of sent) queue.enqueue(e);
    first.subscription.ack(first.consumer.got[1]!.tag);
    first.subscription.close();
    const second = consumerOn(queue, 'second', 'auto');
    expect(second.consumer.got.map((g) => [g.seq, g.redeliveries])).toEqual([
      [sent[0]!.seq, 1],
      [sent[2]!.seq, 1],
      [sent[3]!.seq, 1],
      [sent[4]!.seq, 0],
    ]);
  });

  it('puts a NACKed message back for redelivery with its count', () => {
    const { queue } = makeQueue('nack');
    const { consumer, subscription } = consumerOn(queue, 'n', 'client-individual', 1);
    const e = entry();
    queue.enqueue(e);
    subscription.nack(consumer.got[0]!.tag);
    expect(consumer.got.map((g) => [g.seq, g.redeliveries])).toEqual([
      [e.seq, 0],
      [e.seq, 1],
    ]);
  });

  it('dead-letters a message once it exceeds maxRedeliveries', () => {
    const { queue, host } = makeQueue('dlq', { maxRedeliveries: 2 });
    const { consumer, subscription } = consumerOn(queue, 'n', 'client-individual', 1);
    const e = entry();
    queue.enqueue(e);
    for (let i = 0; i < 3; i++) subscription.nack(consumer.got.at(-1)!.tag);
    expect(consumer.got).toHaveLength(3);
    expect(host.deadLettered).toEqual([{ seq: e.seq, reason: 'max-redeliveries' }]);
    expect(queue.depth).toBe(0);
  });

  it('delivers higher priorities first and FIFO within a priority', () => {
    const { queue } = makeQueue('prio');
    const low = entry({}, 1);
    const high1 = entry({}, 9);
    const mid = entry({}, 4);
    const high2 = entry({}, 9);
    for (const e of [low, high1, mid, high2]) queue.enqueue(e);
    const { consumer } = consumerOn(queue, 'p');
    expect(consumer.got.map((g) => g.seq)).toEqual([high1.seq, high2.seq, mid.seq, low.seq]);
  });

  it('never delivers an expired message and reports it', () => {
    const { queue, host } = makeQueue('exp');
    const gone = entry({}, 4, Date.now() - 1);
    const fresh = entry({}, 4, Date.now() + 60_000);
    queue.enqueue(gone);
    queue.enqueue(fresh);
    const { consumer } = consumerOn(queue, 'x');
    expect(consumer.got.map((g) => g.seq)).toEqual([fresh.seq]);
    expect(host.deadLettered).toEqual([{ seq: gone.seq, reason: 'expired' }]);
  });

  it('keeps a message group on one consumer while it lives, then moves it', () => {
    const { queue } = makeQueue('groups');
    const a = consumerOn(queue, 'a');
    const b = consumerOn(queue, 'b');
    for (let i = 0; i < 4; i++) queue.enqueue(entry({ JMSXGroupID: 'g1' }));
    queue.enqueue(entry({ JMSXGroupID: 'g2' }));
    expect(a.consumer.got).toHaveLength(4);
    expect(b.consumer.got).toHaveLength(1);
    a.subscription.close();
    queue.enqueue(entry({ JMSXGroupID: 'g1' }));
    expect(b.consumer.got).toHaveLength(2);
  });

  it('waits out the redelivery delay before offering a NACKed message again', async () => {
    const { queue } = makeQueue('delay', { redeliveryDelayMs: 50 });
    const { consumer, subscription } = consumerOn(queue, 'd', 'client-individual', 1);
    queue.enqueue(entry());
    subscription.nack(consumer.got[0]!.tag);
    expect(consumer.got).toHaveLength(1);
    expect(queue.depth).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(consumer.got).toHaveLength(2);
    expect(consumer.got[1]!.redeliveries).toBe(1);
  });

  it('passes over a message no selector matches and delivers the ones behind it', () => {
    const { queue } = makeQueue('selectors');
    const red = consumerOn(queue, 'red');
    red.subscription.selector = (h) => h.color === 'red';
    const blue = entry({ color: 'blue' });
    const redOne = entry({ color: 'red' });
    queue.enqueue(blue);
    queue.enqueue(redOne);
    expect(red.consumer.got.map((g) => g.seq)).toEqual([redOne.seq]);
    expect(queue.depth).toBe(1);
    const any = consumerOn(queue, 'any');
    expect(any.consumer.got.map((g) => g.seq)).toEqual([blue.seq]);
  });

  it('gives every message to the exclusive consumer while it lives, then to the others', () => {
    const { queue } = makeQueue('exclusive');
    const plain = consumerOn(queue, 'plain');
    const consumer = new RecordingConsumer('excl');
    const exclusive = new Subscription({
      id: 'excl',
      handle: 2,
      destination: '/queue/exclusive',
      ackMode: 'auto',
      prefetch: 10,
      consumer,
    });
    exclusive.exclusive = true;
    queue.attach(exclusive);
    for (let i = 0; i < 4; i++) queue.enqueue(entry());
    expect(consumer.got).toHaveLength(4);
    expect(plain.consumer.got).toHaveLength(0);
    exclusive.close();
    queue.enqueue(entry());
    expect(plain.consumer.got).toHaveLength(1);
  });

  it('reports idle once the last consumer leaves an empty queue', () => {
    const { queue, host } = makeQueue('idle');
    const { subscription } = consumerOn(queue, 'x');
    queue.enqueue(entry());
    subscription.close();
    expect(host.idleCalls).toBeGreaterThan(0);
    expect(queue.idle).toBe(true);
  });
});

/** A host whose store answers every write of one commit batch with one promise, as lmdb-js does. */
class BatchingHost extends RecordingHost {
  private settle: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private batch: Promise<void> | null = null;
  override persist(): Promise<void> {
    if (this.batch === null) {
      this.batch = new Promise<void>((resolve, reject) => {
        this.settle = { resolve, reject };
      });
    }
    return this.batch;
  }
  commit(failure?: Error): void {
    const settle = this.settle!;
    this.batch = null;
    this.settle = null;
    if (failure === undefined) settle.resolve();
    else settle.reject(failure);
  }
}

function persistentEntry(): QueueEntry {
  const n = seq++;
  return new QueueEntry(
    createMessage(`m${n}`, n, createHeaders(), Buffer.alloc(0), {
      persistent: true,
      priority: 4,
      expires: 0,
      timestamp: Date.now(),
    }),
  );
}

describe('Queue: persistent entries of one store commit batch', () => {
  function batchingQueue() {
    const host = new BatchingHost();
    const queue = new Queue('p', '/queue/p', DEFAULT_CONFIG.destinationDefaults, host);
    return { queue, host };
  }

  it('are offered only once their batch commits, in order, and a later batch waits for its own commit', async () => {
    const { queue, host } = batchingQueue();
    const { consumer } = consumerOn(queue, 'c', 'client-individual');
    const first = [persistentEntry(), persistentEntry(), persistentEntry()];
    const written = first.map((e) => queue.enqueue(e));
    expect(consumer.got).toEqual([]);
    host.commit();
    await Promise.all(written);
    expect(consumer.got.map((g) => g.seq)).toEqual(first.map((e) => e.seq));
    const second = persistentEntry();
    const later = queue.enqueue(second);
    expect(consumer.got).toHaveLength(3);
    host.commit();
    await later;
    expect(consumer.got.map((g) => g.seq)).toEqual([...first, second].map((e) => e.seq));
  });

  it('are all taken back when their batch fails: each producer sees the error, nothing is delivered', async () => {
    const { queue, host } = batchingQueue();
    const { consumer } = consumerOn(queue, 'c', 'client-individual');
    const written = [persistentEntry(), persistentEntry()].map((e) => queue.enqueue(e));
    host.commit(new Error('disk full'));
    for (const w of written) await expect(w).rejects.toThrow('disk full');
    expect(queue.depth).toBe(0);
    expect(queue.enqueued).toBe(0);
    expect(consumer.got).toEqual([]);
    // The next batch is unaffected.
    const next = persistentEntry();
    const ok = queue.enqueue(next);
    host.commit();
    await ok;
    expect(consumer.got.map((g) => g.seq)).toEqual([next.seq]);
  });
});
