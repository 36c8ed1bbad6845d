import type { QueueEntry } from './message.js';

/**
 * Ready entries of one queue priority in publish order. New entries append
 * at the tail; requeued ones (NACK, consumer gone) merge back by `seq` so
 * that redelivery keeps the original order.
 */
export class MessageDeque {
  private items: QueueEntry[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(entry: QueueEntry): void {
    this.items.push(entry);
  }

  peek(): QueueEntry | undefined {
    return this.items[this.head];
  }

  /** The entry at `index` from the head, without removing it. */
  at(index: number): QueueEntry | undefined {
    return this.items[this.head + index];
  }

  shift(): QueueEntry | undefined {
    if (this.head >= this.items.length) return undefined;
    const entry = this.items[this.head];
    this.items[this.head] = undefined as unknown as QueueEntry;
    this.head++;
    // Compact once the dead prefix dominates, so memory follows the live length.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  /** Remove and return the entry at `index` from the head (a grouped message taken out of turn). */
  removeAt(index: number): QueueEntry | undefined {
    if (index === 0) return this.shift();
    const [entry] = this.items.splice(this.head + index, 1);
    return entry;
  }

  /** Put entries back in `seq` order among those waiting. */
  insertInOrder(entries: QueueEntry[]): void {
    if (entries.length === 0) return;
    const returned = [...entries].sort((a, b) => a.seq - b.seq);
    const last = this.items[this.items.length - 1];
    if (this.length === 0 || (last !== undefined && last.seq < returned[0]!.seq)) {
      for (const entry of returned) this.items.push(entry);
      return;
    }
    const waiting = this.items.slice(this.head);
    const merged: QueueEntry[] = new Array(waiting.length + returned.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < waiting.length && j < returned.length) {
      merged[k++] = waiting[i]!.seq <= returned[j]!.seq ? waiting[i++]! : returned[j++]!;
    }
    while (i < waiting.length) merged[k++] = waiting[i++]!;
    while (j < returned.length) merged[k++] = returned[j++]!;
    this.items = merged;
    this.head = 0;
  }

  /** Every waiting entry, oldest first (browsing). */
  toArray(): QueueEntry[] {
    return this.items.slice(this.head);
  }

  clear(): QueueEntry[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }
}
