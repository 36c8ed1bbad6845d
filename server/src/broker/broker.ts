import { randomBytes } from 'node:crypto';
import type { FrameHeaders } from '../protocol/frame.js';
import { resolveDestination } from './destination.js';
import { BrokerError } from './errors.js';
import { createMessage, type Message } from './message.js';
import { Queue } from './queue.js';
import type { Consumer, Subscription } from './subscription.js';
import { Topic } from './topic.js';

export interface BrokerStats {
  queues: number;
  topics: number;
  published: number;
}

/**
 * Destinations and routing. Owns every topic and queue; sessions call in with
 * what their clients sent, and get messages back through their Consumer.
 */
export class Broker {
  private readonly queues = new Map<string, Queue>();
  private readonly topics = new Map<string, Topic>();
  /** Temp queues by owner, so they vanish with their connection. */
  private readonly tempQueuesByOwner = new Map<string, Set<string>>();
  private readonly idPrefix = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  private nextId = 1;
  private nextSeq = 1;
  published = 0;

  /** A fresh message-id, unique within this broker run (and across runs, by its time+random prefix). */
  private newMessageId(): string {
    return `${this.idPrefix}-${this.nextId++}`;
  }

  /**
   * Route one SEND. `headers` must already hold the application headers to
   * pass through; the broker adds `destination` and `message-id`.
   */
  publish(destination: string, headers: FrameHeaders, body: Buffer, ownerId: string): Message {
    const resolved = resolveDestination(destination);
    const id = this.newMessageId();
    headers.destination = destination;
    headers['message-id'] = id;
    const message = createMessage(id, this.nextSeq++, headers, body);
    this.published++;
    if (resolved.kind === 'topic') {
      this.topics.get(resolved.name)?.publish(message);
    } else {
      const key = resolved.kind === 'queue' ? resolved.name : tempQueueKey(ownerId, resolved.name);
      this.queue(key, resolved.kind === 'temp-queue' ? ownerId : null).enqueue(message);
    }
    return message;
  }

  /** Check a destination before a transaction buffers a SEND to it, so errors surface at SEND time. */
  validateDestination(destination: string): void {
    resolveDestination(destination);
  }

  /** Start delivering `destination` to `subscription` (already built by the session). */
  subscribe(subscription: Subscription): void {
    const resolved = resolveDestination(subscription.destination);
    const ownerId = subscription.consumer.ownerId;
    if (resolved.kind === 'topic') {
      let topic = this.topics.get(resolved.name);
      if (topic === undefined) {
        topic = new Topic(resolved.name, (t) => this.forgetTopic(t));
        this.topics.set(resolved.name, topic);
      }
      topic.attach(subscription);
    } else {
      const key = resolved.kind === 'queue' ? resolved.name : tempQueueKey(ownerId, resolved.name);
      this.queue(key, resolved.kind === 'temp-queue' ? ownerId : null).attach(subscription);
    }
  }

  /** The connection `ownerId` is gone: its temp queues and their messages go with it. */
  releaseOwner(consumer: Consumer): void {
    const keys = this.tempQueuesByOwner.get(consumer.ownerId);
    if (keys === undefined) return;
    this.tempQueuesByOwner.delete(consumer.ownerId);
    for (const key of keys) {
      this.queues.get(key)?.purge();
      this.queues.delete(key);
    }
  }

  stats(): BrokerStats {
    return { queues: this.queues.size, topics: this.topics.size, published: this.published };
  }

  /** Read-only view of one queue, for tests and the admin API. */
  queueInfo(name: string): { depth: number; consumers: number } | undefined {
    const queue = this.queues.get(name);
    return queue === undefined ? undefined : { depth: queue.depth, consumers: queue.consumerCount };
  }

  private queue(key: string, tempOwner: string | null): Queue {
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = new Queue(key, (q) => this.forgetQueue(q, tempOwner));
      this.queues.set(key, queue);
      if (tempOwner !== null) {
        let keys = this.tempQueuesByOwner.get(tempOwner);
        if (keys === undefined) {
          keys = new Set();
          this.tempQueuesByOwner.set(tempOwner, keys);
        }
        keys.add(key);
      }
    }
    return queue;
  }

  /** Forget queues nobody uses and nothing waits in, so unique names do not leak memory. */
  private forgetQueue(queue: Queue, tempOwner: string | null): void {
    if (tempOwner !== null) return; // temp queues live exactly as long as their connection
    if (queue.idle && this.queues.get(queue.name) === queue) this.queues.delete(queue.name);
  }

  private forgetTopic(topic: Topic): void {
    if (topic.subscriberCount === 0 && this.topics.get(topic.name) === topic) {
      this.topics.delete(topic.name);
    }
  }
}

/** Temp queue names are per connection: the same name from two connections is two queues. */
function tempQueueKey(ownerId: string, name: string): string {
  return `\u0000temp\u0000${ownerId}\u0000${name}`;
}

export { BrokerError };
