/**
 * A queue's messages ready for delivery: one FIFO deque per priority (0–9),
 * highest first when delivering, publish order within a priority, and
 * redelivered messages back in their original place. Split from queue.ts
 * (issue 9).
 */
import type { QueueEntry } from './message.js';
import { MessageDeque } from './message-deque.js';

export const PRIORITIES = 10;

export class ReadyEntries {
  private readonly deques: MessageDeque[] = Array.from(
    { length: PRIORITIES },
    () => new MessageDeque(),
  );
  /** Entries in all deques. */
  count = 0;

  /** The deque of one priority, for the dispatcher's walk (take entries out with take()). */
  ofPriority(priority: number): MessageDeque {
    return this.deques[priority]!;
  }

  push(entry: QueueEntry): void {
    this.deques[entry.priority]!.push(entry);
    this.count++;
  }

  take(deque: MessageDeque, index: number): QueueEntry {
    this.count--;
    return deque.removeAt(index)!;
  }

  /** Take `entry` out wherever it waits (a rare path: a failed store commit). */
  remove(entry: QueueEntry): void {
    const deque = this.deques[entry.priority]!;
    for (let i = 0; i < deque.length; i++) {
      if (deque.at(i) === entry) {
        this.take(deque, i);
        return;
      }
    }
  }

  /** Put failed or released deliveries back in their original order. */
  returnInOrder(entries: QueueEntry[]): void {
    if (entries.length === 0) return;
    const byPriority = new Map<number, QueueEntry[]>();
    for (const entry of entries) {
      const list = byPriority.get(entry.priority);
      if (list === undefined) byPriority.set(entry.priority, [entry]);
      else list.push(entry);
    }
    for (const [priority, list] of byPriority) this.deques[priority]!.insertInOrder(list);
    this.count += entries.length;
  }

  /** The entry published first, taken out (undefined when none waits). */
  takeOldest(): QueueEntry | undefined {
    let oldest: MessageDeque | undefined;
    for (const deque of this.deques) {
      const head = deque.peek();
      if (head !== undefined && (oldest === undefined || head.seq < oldest.peek()!.seq))
        oldest = deque;
    }
    return oldest === undefined ? undefined : this.take(oldest, 0);
  }

  /** Up to `limit` entries in delivery order (priority, then publish order), left in place. */
  browse(limit: number): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (let p = PRIORITIES - 1; p >= 0 && out.length < limit; p--) {
      for (const entry of this.deques[p]!.toArray()) {
        if (out.length >= limit) break;
        out.push(entry);
      }
    }
    return out;
  }

  /** Take every entry out, by priority from lowest, publish order within each. */
  clear(): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (const deque of this.deques) for (const entry of deque.clear()) out.push(entry);
    this.count = 0;
    return out;
  }

  /** Take out the entries `taken` selects; the others keep their places. */
  takeWhere(taken: (entry: QueueEntry) => boolean): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (const deque of this.deques) {
      const kept: QueueEntry[] = [];
      for (const entry of deque.clear()) (taken(entry) ? out : kept).push(entry);
      for (const entry of kept) deque.push(entry);
    }
    this.count = this.deques.reduce((sum, deque) => sum + deque.length, 0);
    return out;
  }

  forEach(visit: (entry: QueueEntry) => void): void {
    for (const deque of this.deques) for (let i = 0; i < deque.length; i++) visit(deque.at(i)!);
  }

  toArray(): QueueEntry[] {
    return this.deques.flatMap((deque) => deque.toArray());
  }
}
