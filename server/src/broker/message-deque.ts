import type { QueueEntry } from './message.js';

/** Slots a deque starts with and never shrinks below (a power of two). */
const MIN_CAPACITY = 16;
/** Below this many slots a mostly empty deque keeps its array rather than reallocating. */
const SHRINK_FLOOR = 1024;

/**
 * Ready entries of one queue priority in publish order. New entries append
 * at the tail; requeued ones (NACK, consumer gone) merge back by `seq` so
 * that redelivery keeps the original order.
 *
 * A ring over a power-of-two array: a queue in steady state (as many
 * taken as arrive) allocates nothing. The array it replaced grew at the
 * tail and was sliced when its consumed head dominated, which with a few
 * thousand waiting entries reallocated and copied them again and again
 * (issue 9: a tenth of the persistent queue bench's allocated bytes).
 */
export class MessageDeque {
  private items: (QueueEntry | undefined)[] = emptySlots(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(entry: QueueEntry): void {
    if (this.count > this.mask) this.resize(2 * (this.mask + 1));
    this.items[(this.head + this.count) & this.mask] = entry;
    this.count++;
  }

  peek(): QueueEntry | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  /** The entry at `index` from the head, without removing it. */
  at(index: number): QueueEntry | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return this.items[(this.head + index) & this.mask];
  }

  shift(): QueueEntry | undefined {
    if (this.count === 0) return undefined;
    const entry = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    // Memory follows the live length: halve once three quarters are empty.
    const capacity = this.mask + 1;
    if (capacity > SHRINK_FLOOR && this.count * 4 < capacity) this.resize(capacity / 2);
    return entry;
  }

  /** Remove and return the entry at `index` from the head (a grouped message taken out of turn). */
  removeAt(index: number): QueueEntry | undefined {
    if (index === 0) return this.shift();
    if (index < 0 || index >= this.count) return undefined;
    const { items, mask, head } = this;
    const entry = items[(head + index) & mask];
    for (let i = index; i < this.count - 1; i++) {
      items[(head + i) & mask] = items[(head + i + 1) & mask];
    }
    items[(head + this.count - 1) & mask] = undefined;
    this.count--;
    return entry;
  }

  /** Put entries back in `seq` order among those waiting. */
  insertInOrder(entries: QueueEntry[]): void {
    if (entries.length === 0) return;
    const returned = [...entries].sort((a, b) => a.seq - b.seq);
    const last = this.at(this.count - 1);
    if (last === undefined || last.seq < returned[0]!.seq) {
      for (const entry of returned) this.push(entry);
      return;
    }
    const waiting = this.toArray();
    const merged: QueueEntry[] = new Array(waiting.length + returned.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < waiting.length && j < returned.length) {
      merged[k++] = waiting[i]!.seq <= returned[j]!.seq ? waiting[i++]! : returned[j++]!;
    }
    while (i < waiting.length) merged[k++] = waiting[i++]!;
    while (j < returned.length) merged[k++] = returned[j++]!;
    this.refill(merged);
  }

  /** Every waiting entry, oldest first (browsing). */
  toArray(): QueueEntry[] {
    const out: QueueEntry[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.items[(this.head + i) & this.mask]!;
    return out;
  }

  clear(): QueueEntry[] {
    const rest = this.toArray();
    this.refill([]);
    return rest;
  }

  /** The same entries, in order, in an array of `capacity` slots starting at 0. */
  private resize(capacity: number): void {
    const items = emptySlots(capacity);
    for (let i = 0; i < this.count; i++) items[i] = this.items[(this.head + i) & this.mask];
    this.items = items;
    this.mask = capacity - 1;
    this.head = 0;
  }

  /** Replace the contents with `entries`, in order. */
  private refill(entries: QueueEntry[]): void {
    let capacity = MIN_CAPACITY;
    while (capacity < entries.length) capacity *= 2;
    const items = emptySlots(capacity);
    for (let i = 0; i < entries.length; i++) items[i] = entries[i];
    this.items = items;
    this.mask = capacity - 1;
    this.head = 0;
    this.count = entries.length;
  }
}

/** `capacity` slots holding undefined (filled, so V8 keeps the array's elements packed rather than holey). */
function emptySlots(capacity: number): (QueueEntry | undefined)[] {
  const slots: (QueueEntry | undefined)[] = [];
  for (let i = 0; i < capacity; i++) slots.push(undefined);
  return slots;
}
