import type { QueueEntry } from './message.js';
import type { Queue } from './queue.js';
import type { MessageSource, Subscription } from './subscription.js';

/**
 * One wildcard queue subscription (`/queue/orders.>`, ActiveMQ style)
 * consuming from every queue its pattern matches, including queues created
 * later. Acks and redeliveries go back to the queue each message came from.
 */
export class QueueFanIn implements MessageSource {
  readonly subscription: Subscription;
  private readonly queues = new Set<Queue>();
  private readonly onClose: (fanIn: QueueFanIn) => void;

  constructor(subscription: Subscription, onClose: (fanIn: QueueFanIn) => void) {
    this.subscription = subscription;
    this.onClose = onClose;
    subscription.source = this;
  }

  /** Consume from one more matching queue. */
  add(queue: Queue): void {
    if (this.queues.has(queue)) return;
    this.queues.add(queue);
    queue.addConsumer(this.subscription);
  }

  acknowledged(entries: QueueEntry[]): void {
    for (const [queue, list] of byQueue(entries)) queue.acknowledged(list);
  }

  requeue(entries: QueueEntry[], reason: string, unlimited = false): void {
    for (const [queue, list] of byQueue(entries)) queue.requeue(list, reason, unlimited);
  }

  reject(entries: QueueEntry[]): void {
    for (const [queue, list] of byQueue(entries)) queue.reject(list);
  }

  resume(): void {
    for (const queue of this.queues) queue.dispatch();
  }

  detach(subscription: Subscription, unacked: QueueEntry[]): void {
    const returned = byQueue(unacked);
    for (const queue of this.queues) queue.detach(subscription, returned.get(queue) ?? []);
    this.queues.clear();
    this.onClose(this);
  }
}

function byQueue(entries: QueueEntry[]): Map<Queue, QueueEntry[]> {
  const out = new Map<Queue, QueueEntry[]>();
  for (const entry of entries) {
    const queue = entry.owner as Queue | null;
    if (queue === null) continue;
    const list = out.get(queue);
    if (list === undefined) out.set(queue, [entry]);
    else list.push(entry);
  }
  return out;
}
