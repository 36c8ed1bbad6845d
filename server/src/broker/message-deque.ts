import type { Message } from './message.js';

/**
 * Ready messages of one queue in publish order. New messages append at the
 * tail; requeued ones (NACK, consumer gone) are merged back by `seq` so that
 * redelivery keeps the original order.
 */
export class MessageDeque {
  private items: Message[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(message: Message): void {
    this.items.push(message);
  }

  peek(): Message | undefined {
    return this.items[this.head];
  }

  shift(): Message | undefined {
    if (this.head >= this.items.length) return undefined;
    const message = this.items[this.head];
    this.items[this.head] = undefined as unknown as Message;
    this.head++;
    // Compact once the dead prefix dominates, so memory follows the live length.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return message;
  }

  /** Put messages back in `seq` order among those waiting. */
  insertInOrder(messages: Message[]): void {
    if (messages.length === 0) return;
    const returned = [...messages].sort((a, b) => a.seq - b.seq);
    const waiting = this.items.slice(this.head);
    const merged: Message[] = new Array(waiting.length + returned.length);
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

  clear(): Message[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }
}
