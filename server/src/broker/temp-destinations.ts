import { randomBytes } from 'node:crypto';
import type { DestinationPolicy } from '../config.js';
import { Queue, type QueueHost } from './queue.js';

/**
 * Destinations private to one connection: `/temp-queue/NAME` and
 * `/temp-topic/NAME`. The same NAME on two connections is two destinations.
 * Others reach them only through the opaque `/reply-queue/…` and
 * `/reply-topic/…` names a `reply-to` header is rewritten to (RabbitMQ does
 * the same), and all of it goes when the connection closes.
 */
export class TempDestinations {
  private readonly queues = new Map<string, Queue>();
  private readonly byOwner = new Map<string, Set<string>>();
  /** Opaque reply token per connection, and back. */
  private readonly tokens = new Map<string, string>();
  private readonly owners = new Map<string, string>();
  private readonly host: QueueHost;
  private readonly policyFor: (destination: string) => DestinationPolicy;
  /** Messages sent to a reply destination whose connection is gone (dropped, as RabbitMQ does). */
  undeliverable = 0;

  constructor(host: QueueHost, policyFor: (destination: string) => DestinationPolicy) {
    this.host = host;
    this.policyFor = policyFor;
  }

  /** The temp queue NAME of connection `ownerId`, created on first use. */
  queue(ownerId: string, name: string): Queue {
    const key = `\u0000temp\u0000${ownerId}\u0000${name}`;
    let queue = this.queues.get(key);
    if (queue === undefined) {
      const destination = `/temp-queue/${name}`;
      queue = new Queue(key, destination, this.policyFor(destination), this.host);
      this.queues.set(key, queue);
      let keys = this.byOwner.get(ownerId);
      if (keys === undefined) {
        keys = new Set();
        this.byOwner.set(ownerId, keys);
      }
      keys.add(key);
    }
    return queue;
  }

  /** Topic-router key of temp topic NAME of `ownerId`: its token keeps it apart from every other topic. */
  topicKey(ownerId: string, name: string): string {
    return `${this.token(ownerId)}.${name}`;
  }

  /** The opaque destination a `reply-to:/temp-queue/NAME` (or /temp-topic/) of `ownerId` is rewritten to. */
  replyDestination(ownerId: string, tempDestination: string): string | null {
    if (tempDestination.startsWith('/temp-queue/')) {
      return `/reply-queue/${this.token(ownerId)}.${tempDestination.slice(12)}`;
    }
    if (tempDestination.startsWith('/temp-topic/')) {
      return `/reply-topic/${this.token(ownerId)}.${tempDestination.slice(12)}`;
    }
    return null;
  }

  /** Where a `/reply-queue/TOKEN.NAME` leads: the owner's temp queue, or null when the owner is gone. */
  replyQueue(tokenAndName: string): Queue | null {
    const dot = tokenAndName.indexOf('.');
    const owner = dot < 0 ? undefined : this.owners.get(tokenAndName.slice(0, dot));
    if (owner === undefined) {
      this.undeliverable++;
      return null;
    }
    return this.queue(owner, tokenAndName.slice(dot + 1));
  }

  /** Whether a `/reply-topic/TOKEN.NAME` still has its owner. */
  replyTopicAlive(tokenAndName: string): boolean {
    const dot = tokenAndName.indexOf('.');
    const alive = dot >= 0 && this.owners.has(tokenAndName.slice(0, dot));
    if (!alive) this.undeliverable++;
    return alive;
  }

  /** The connection is gone: its temp queues (and their messages) and reply token go with it. */
  release(ownerId: string): void {
    const token = this.tokens.get(ownerId);
    if (token !== undefined) {
      this.tokens.delete(ownerId);
      this.owners.delete(token);
    }
    const keys = this.byOwner.get(ownerId);
    if (keys === undefined) return;
    this.byOwner.delete(ownerId);
    for (const key of keys) {
      this.queues.get(key)?.delete();
      this.queues.delete(key);
    }
  }

  get size(): number {
    return this.queues.size;
  }

  private token(ownerId: string): string {
    let token = this.tokens.get(ownerId);
    if (token === undefined) {
      token = randomBytes(9).toString('base64url');
      this.tokens.set(ownerId, token);
      this.owners.set(token, ownerId);
    }
    return token;
  }
}
