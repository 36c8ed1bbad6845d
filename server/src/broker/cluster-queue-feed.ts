import type { StreamMessage } from '../cluster/index.js';
import type { ClusterLink } from './cluster-link.js';
import type { QueueEntry } from './message.js';
import type { Queue, QueueFeed } from './queue.js';

/** What the node holds of one stream entry, to acknowledge it or hand it back. */
interface Held {
  id: string;
  raw: Buffer;
}

/**
 * One cluster-shared queue on this node: while the queue has local
 * consumers it reads from the queue's Redis stream as many messages as they
 * have credit for, and puts them in the local Queue, which dispatches them
 * as it does any message (priority, groups, selectors, redelivery). ACK
 * becomes XACK; when the last local consumer leaves, the messages still
 * waiting here go back to the stream for other nodes.
 */
export class ClusterQueueFeed implements QueueFeed {
  private readonly link: ClusterLink;
  private readonly queue: Queue;
  private readonly held = new Map<QueueEntry, Held>();
  private active = false;
  private reading = false;
  private again = false;
  /**
   * Where taking back this node id's own pending entries (from an earlier
   * run, or a failed hand-back) has got to; null once done.
   */
  private ownCursor: string | null = '0';

  constructor(link: ClusterLink, queue: Queue) {
    this.link = link;
    this.queue = queue;
  }

  get name(): string {
    return this.queue.name;
  }

  /** Messages taken from Redis and not yet acknowledged or handed back. */
  get holding(): number {
    return this.held.size;
  }

  /** Fetch if its consumers have room (a notice, a poll, or a reconnect). */
  wakeUp(): void {
    this.wake(this.queue);
  }

  /** How many more its consumers could take now. */
  demand(cap: number): number {
    return this.queue.demand(cap);
  }

  wake(queue: Queue): void {
    if (queue.consumerCount === 0) {
      if (this.active) this.deactivate();
      return;
    }
    if (!this.active) {
      this.active = true;
      this.link.activated(this);
    }
    if (this.reading) {
      this.again = true;
      return;
    }
    if (!this.link.bus.healthy) return;
    const want = queue.demand(this.link.bus.options.readBatch);
    if (want > 0) this.read(want);
  }

  private read(want: number): void {
    this.reading = true;
    this.again = false;
    const after = this.ownCursor;
    const own = after !== null;
    this.link.bus.queues.read(this.name, want, after).then(
      (messages) => {
        this.reading = false;
        let fresh = messages;
        if (own) {
          this.ownCursor = messages.length < want ? null : messages[messages.length - 1]!.id;
          const holding = new Set([...this.held.values()].map((h) => h.id));
          fresh = messages.filter((m) => !holding.has(m.id) && !this.link.isSettling(m.id));
        }
        this.take(fresh);
        if (this.again || messages.length === want || own) this.wake(this.queue);
      },
      (err: unknown) => {
        this.reading = false;
        this.link.failed('read', err);
      },
    );
  }

  /** Messages this node now owns in Redis (read or claimed): offer them here, or hand them back if nobody is left. */
  take(messages: StreamMessage[]): void {
    if (messages.length === 0) return;
    if (this.queue.consumerCount === 0) {
      this.link.release(
        this.name,
        messages.map((m) => ({ id: m.id, raw: m.raw, deliveries: m.deliveries })),
      );
      return;
    }
    for (const message of messages) {
      const entry = this.link.entryOf(message);
      this.held.set(entry, { id: message.id, raw: message.raw });
      this.queue.restore(entry);
    }
    this.queue.resume();
  }

  /** A local delivery settled (ACK, or moved to a dead-letter queue): true when it was one of ours. */
  settled(entry: QueueEntry): boolean {
    const held = this.held.get(entry);
    if (held === undefined) return false;
    this.held.delete(entry);
    this.link.ack(this.name, held.id);
    return true;
  }

  requeued(_queue: Queue, entries: readonly QueueEntry[]): void {
    for (const entry of entries) {
      const held = this.held.get(entry);
      if (held !== undefined) this.link.recordDeliveries(this.name, held.id, entry.deliveries);
    }
  }

  private deactivate(): void {
    this.active = false;
    this.link.deactivated(this);
    const back: { id: string; raw: Buffer; deliveries: number }[] = [];
    for (const entry of this.queue.takeWaiting((e) => this.held.has(e))) {
      const held = this.held.get(entry);
      if (held === undefined) continue;
      this.held.delete(entry);
      back.push({ id: held.id, raw: held.raw, deliveries: entry.deliveries });
    }
    if (back.length > 0) {
      // If handing back fails they stay pending under this node id: take them back on the next activation.
      this.ownCursor = '0';
      this.link.release(this.name, back);
    }
  }
}
