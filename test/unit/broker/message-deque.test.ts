import { describe, expect, it } from 'vitest';
import { createMessage, QueueEntry } from '../../../server/src/broker/message.js';
import { MessageDeque } from '../../../server/src/broker/message-deque.js';
import { createHeaders } from '../../../server/src/protocol/frame.js';

function message(seq: number): QueueEntry {
  return new QueueEntry(createMessage(`m${seq}`, seq, createHeaders(), Buffer.from(String(seq))));
}

function drain(deque: MessageDeque): number[] {
  const out: number[] = [];
  for (let m = deque.shift(); m !== undefined; m = deque.shift()) out.push(m.seq);
  return out;
}

describe('MessageDeque', () => {
  it('hands messages out in the order they were pushed', () => {
    const deque = new MessageDeque();
    for (let i = 1; i <= 5; i++) deque.push(message(i));
    expect(deque.length).toBe(5);
    expect(deque.peek()?.seq).toBe(1);
    expect(drain(deque)).toEqual([1, 2, 3, 4, 5]);
    expect(deque.length).toBe(0);
    expect(deque.shift()).toBeUndefined();
  });

  it('merges returned messages back in publish order among those waiting', () => {
    const deque = new MessageDeque();
    for (const seq of [2, 5, 6]) deque.push(message(seq));
    deque.insertInOrder([message(4), message(1), message(3)]);
    expect(drain(deque)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('keeps order across compaction of a long consumed prefix', () => {
    const deque = new MessageDeque();
    for (let i = 1; i <= 5000; i++) deque.push(message(i));
    for (let i = 1; i <= 4000; i++) expect(deque.shift()?.seq).toBe(i);
    deque.insertInOrder([message(10), message(4001)]);
    expect(deque.length).toBe(1002);
    const rest = drain(deque);
    expect(rest.slice(0, 3)).toEqual([10, 4001, 4001]);
    expect(rest.at(-1)).toBe(5000);
  });

  it('clear() returns what was waiting and empties the deque', () => {
    const deque = new MessageDeque();
    for (let i = 1; i <= 3; i++) deque.push(message(i));
    deque.shift();
    expect(deque.clear().map((m) => m.seq)).toEqual([2, 3]);
    expect(deque.length).toBe(0);
  });

  it('keeps order as the ring wraps, grows and shrinks, and takes entries out of turn across the wrap', () => {
    const deque = new MessageDeque();
    const expected: number[] = [];
    let next = 1;
    const push = (n: number) => {
      for (let i = 0; i < n; i++) {
        deque.push(message(next));
        expected.push(next++);
      }
    };
    const shift = (n: number) => {
      for (let i = 0; i < n; i++) expect(deque.shift()?.seq).toBe(expected.shift());
    };
    // Steady state around a partly full ring, so the head passes the array's end many times.
    push(10);
    for (let round = 0; round < 50; round++) {
      push(3);
      shift(3);
    }
    expect(deque.toArray().map((m) => m.seq)).toEqual(expected);
    // Out of turn, with the live entries wrapped around the array's end.
    const taken = deque.removeAt(4);
    expect(taken?.seq).toBe(expected.splice(4, 1)[0]);
    expect(deque.at(4)?.seq).toBe(expected[4]);
    expect(deque.at(deque.length)).toBeUndefined();
    // Grow well past the start, then drain most of it (the ring shrinks on the way).
    push(5000);
    shift(4990);
    expect(deque.length).toBe(expected.length);
    deque.insertInOrder([message(3), message(next + 1)]);
    expected.splice(0, 0, 3);
    expected.push(next + 1);
    expect(drain(deque)).toEqual(expected);
    expect(deque.peek()).toBeUndefined();
  });
});
