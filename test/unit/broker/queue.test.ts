import { describe, expect, it } from 'vitest';
import { createMessage, type Message } from '../../../server/src/broker/message.js';
import { Queue } from '../../../server/src/broker/queue.js';
import {
  type AckMode,
  type Consumer,
  Subscription,
} from '../../../server/src/broker/subscription.js';
import { createHeaders } from '../../../server/src/protocol/frame.js';

/** A consumer that records what it is given; `ready` can be toggled to model a full connection. */
class RecordingConsumer implements Consumer {
  readonly ownerId: string;
  ready = true;
  readonly got: { seq: number; tag: number; redelivered: boolean }[] = [];
  constructor(name: string) {
    this.ownerId = name;
  }
  deliver(_subscription: Subscription, message: Message, tag: number, redelivered: boolean): void {
    this.got.push({ seq: message.seq, tag, redelivered });
  }
}

let seq = 1;
function message(): Message {
  const n = seq++;
  return createMessage(`m${n}`, n, createHeaders(), Buffer.alloc(0));
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
    const queue = new Queue('rr', () => {});
    const consumers = ['a', 'b', 'c'].map((n) => consumerOn(queue, n).consumer);
    const sent = Array.from({ length: 9 }, () => message());
    for (const m of sent) queue.enqueue(m);
    expect(consumers.map((c) => c.got.length)).toEqual([3, 3, 3]);
    const all = consumers.flatMap((c) => c.got.map((g) => g.seq)).sort((x, y) => x - y);
    expect(all).toEqual(sent.map((m) => m.seq));
  });

  it('keeps messages until a consumer arrives', () => {
    const queue = new Queue('wait', () => {});
    const sent = [message(), message()];
    for (const m of sent) queue.enqueue(m);
    expect(queue.depth).toBe(2);
    const { consumer } = consumerOn(queue, 'late');
    expect(consumer.got.map((g) => g.seq)).toEqual(sent.map((m) => m.seq));
    expect(queue.depth).toBe(0);
  });

  it('stops at the prefetch and resumes when acks return credit', () => {
    const queue = new Queue('credit', () => {});
    const { consumer, subscription } = consumerOn(queue, 'slow', 'client-individual', 2);
    for (let i = 0; i < 5; i++) queue.enqueue(message());
    expect(consumer.got).toHaveLength(2);
    subscription.ack(consumer.got[0]!.tag);
    expect(consumer.got).toHaveLength(3);
    expect(queue.depth).toBe(2);
  });

  it('cumulative client ack settles every earlier delivery', () => {
    const queue = new Queue('cumulative', () => {});
    const { consumer, subscription } = consumerOn(queue, 'c', 'client', 3);
    for (let i = 0; i < 6; i++) queue.enqueue(message());
    expect(consumer.got).toHaveLength(3);
    subscription.ack(consumer.got[2]!.tag);
    expect(subscription.unacked).toBe(3);
    expect(consumer.got).toHaveLength(6);
  });

  it('skips consumers whose connection is full and delivers to them once they drain', () => {
    const queue = new Queue('full', () => {});
    const a = consumerOn(queue, 'a');
    const b = consumerOn(queue, 'b');
    a.consumer.ready = false;
    for (let i = 0; i < 4; i++) queue.enqueue(message());
    expect(a.consumer.got).toHaveLength(0);
    expect(b.consumer.got).toHaveLength(4);
    b.consumer.ready = false;
    queue.enqueue(message());
    expect(queue.depth).toBe(1);
    a.consumer.ready = true;
    a.subscription.resume();
    expect(a.consumer.got).toHaveLength(1);
  });

  it('redelivers unacked messages of a closed subscription first, in original order, flagged', () => {
    const queue = new Queue('redeliver', () => {});
    const first = consumerOn(queue, 'first', 'client-individual', 3);
    const sent = Array.from({ length: 5 }, () => message());
    for (const m of sent) queue.enqueue(m);
    first.subscription.ack(first.consumer.got[1]!.tag);
    first.subscription.close();
    const second = consumerOn(queue, 'second', 'auto');
    expect(second.consumer.got.map((g) => [g.seq, g.redelivered])).toEqual([
      [sent[0]!.seq, true],
      [sent[2]!.seq, true],
      [sent[3]!.seq, true],
      [sent[4]!.seq, false],
    ]);
  });

  it('puts a NACKed message back for redelivery with the redelivered flag', () => {
    const queue = new Queue('nack', () => {});
    const { consumer, subscription } = consumerOn(queue, 'n', 'client-individual', 1);
    const m = message();
    queue.enqueue(m);
    subscription.nack(consumer.got[0]!.tag);
    expect(consumer.got.map((g) => [g.seq, g.redelivered])).toEqual([
      [m.seq, false],
      [m.seq, true],
    ]);
    expect(m.redeliveries).toBe(1);
  });

  it('reports idle once the last consumer leaves an empty queue', () => {
    let idle = 0;
    const queue = new Queue('idle', () => idle++);
    const { subscription } = consumerOn(queue, 'x');
    queue.enqueue(message());
    subscription.close();
    expect(idle).toBe(1);
    expect(queue.idle).toBe(true);
  });
});
