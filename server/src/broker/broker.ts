import { randomBytes } from 'node:crypto';
import type { BrokerConfig, DestinationPolicy } from '../config.js';
import { createHeaders, type FrameHeaders } from '../protocol/frame.js';
import type { RecoveredState, Store, StoredMessage } from '../store/store.js';
import { resolveDestination } from './destination.js';
import { DurableSubscriptions } from './durable.js';
import { BrokerError } from './errors.js';
import { type HistoryRequest, retains, TopicHistory } from './history.js';
import { createMessage, type Message, type MessageOptions, QueueEntry } from './message.js';
import { matchesPattern } from './pattern.js';
import { Queue, type QueueHost } from './queue.js';
import type { Consumer, Subscription } from './subscription.js';
import { Topic } from './topic.js';

export interface BrokerStats {
  queues: number;
  topics: number;
  published: number;
}

/** Store names keep user queues and durable-subscription queues apart. */
const QUEUE_PREFIX = 'q:';
const DURABLE_PREFIX = 'd:';

/**
 * Destinations and routing. Owns every topic and queue; sessions call in with
 * what their clients sent, and get messages back through their Consumer.
 * Persistent messages go through the Store before anyone is told they are safe.
 */
export class Broker implements QueueHost {
  readonly store: Store;
  private readonly config: BrokerConfig;
  private readonly queues = new Map<string, Queue>();
  private readonly topics = new Map<string, Topic>();
  /** Temp queues by owner, so they vanish with their connection. */
  private readonly tempQueuesByOwner = new Map<string, Set<string>>();
  private readonly clientIds = new Map<string, string>();
  readonly durables: DurableSubscriptions;
  private readonly idPrefix = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  private nextId = 1;
  private nextSeq = 1;
  /** The newest store write issued; the store commits in order, so it settling means all before it did. */
  private lastWrite: Promise<void> | null = null;
  private readonly policyCache = new Map<string, DestinationPolicy>();
  published = 0;
  expired = 0;
  deadLettered = 0;

  constructor(config: BrokerConfig, store: Store) {
    this.config = config;
    this.store = store;
    this.durables = new DurableSubscriptions(this, store);
  }

  /** A fresh message-id, unique within this broker run (and across runs, by its time+random prefix). */
  private newMessageId(): string {
    return `${this.idPrefix}-${this.nextId++}`;
  }

  /** The policy for a destination: defaults, then every matching rule in order. */
  policyFor(destination: string): DestinationPolicy {
    let policy = this.policyCache.get(destination);
    if (policy === undefined) {
      policy = { ...this.config.destinationDefaults };
      for (const rule of this.config.destinations) {
        if (!matchesPattern(rule.match, destination)) continue;
        const { match: _match, ...overrides } = rule;
        Object.assign(policy, overrides);
      }
      if (this.policyCache.size > 10_000) this.policyCache.clear();
      this.policyCache.set(destination, policy);
    }
    return policy;
  }

  /**
   * Route one SEND. `headers` already holds the application headers to pass
   * through; the broker adds `destination`, `message-id` and `timestamp`.
   * Returns a promise when persistent copies are being committed (the
   * producer's RECEIPT waits for it), or null when nothing waits.
   */
  publish(
    destination: string,
    headers: FrameHeaders,
    body: Buffer,
    ownerId: string,
    options: MessageOptions,
  ): Promise<void> | null {
    const resolved = resolveDestination(destination);
    const id = this.newMessageId();
    headers.destination = destination;
    headers['message-id'] = id;
    headers.timestamp = String(options.timestamp);
    const message = createMessage(id, this.nextSeq++, headers, body, options);
    this.published++;
    if (resolved.kind === 'topic') return this.publishToTopic(resolved.name, message);
    if (options.expires !== 0 && options.expires <= options.timestamp) {
      this.expired++;
      return null;
    }
    const queue =
      resolved.kind === 'queue'
        ? this.queue(resolved.name, destination)
        : this.tempQueue(ownerId, resolved.name, destination);
    return queue.enqueue(new QueueEntry(message));
  }

  private publishToTopic(name: string, message: Message): Promise<void> | null {
    // One canonical name per topic, whichever alias (/exchange/amq.topic/…) the producer used.
    const destination = `/topic/${name}`;
    const topic = this.topic(name, destination, false);
    let written: Promise<void> | null = null;
    if (topic !== undefined) {
      const dropped = topic.publish(message, message.timestamp);
      if (topic.history !== null && message.persistent && this.store.durable) {
        written = this.track(this.store.appendHistory(destination, storedForm(message)));
        if (dropped > 0)
          void this.track(this.store.trimHistory(destination, dropped)).catch(() => {});
      }
    }
    const durable = this.durables.publish(destination, message);
    if (durable === null) return written;
    return written === null ? durable : Promise.all([written, durable]).then(() => {});
  }

  /** Check a SEND before a transaction holds it, so errors surface at SEND time. */
  validateDestination(destination: string): void {
    resolveDestination(destination);
  }

  /** Start delivering `subscription.destination` to it, after any topic history it asked for. */
  subscribe(subscription: Subscription, history: HistoryRequest | null): void {
    const destination = subscription.destination;
    const resolved = resolveDestination(destination);
    if (resolved.kind === 'topic') {
      const topic = this.topic(resolved.name, `/topic/${resolved.name}`, true)!;
      if (history !== null && topic.history === null) {
        throw new BrokerError(
          'invalid-header',
          `no history kept for ${destination}`,
          `The SUBSCRIBE asked for history, but ${destination} keeps none. Configure retention with a rule in ` +
            `"destinations" (e.g. { "match": "${destination}", "historyMaxMessages": 1000 }), or subscribe without history headers.`,
        );
      }
      topic.attach(subscription, history, Date.now());
      return;
    }
    const queue =
      resolved.kind === 'queue'
        ? this.queue(resolved.name, destination)
        : this.tempQueue(subscription.consumer.ownerId, resolved.name, destination);
    queue.attach(subscription);
  }

  /** Attach a subscriber to a durable topic subscription (created on first use). */
  subscribeDurable(
    key: string,
    clientId: string,
    name: string,
    subscription: Subscription,
  ): Promise<void> | null {
    const resolved = resolveDestination(subscription.destination);
    if (resolved.kind !== 'topic') {
      throw new BrokerError(
        'invalid-destination',
        `durable subscriptions are for topics, not ${subscription.destination}`,
        'A durable subscription keeps topic messages while its subscriber is away; queues keep their messages ' +
          'anyway. Subscribe to a /topic/ destination, or drop the durable headers.',
      );
    }
    return this.durables.subscribe(key, clientId, name, `/topic/${resolved.name}`, subscription);
  }

  /** Delete a durable subscription by key (UNSUBSCRIBE naming it). */
  removeDurable(key: string, name: string): Promise<void> | null {
    return this.durables.remove(key, name);
  }

  /** One live connection per client-id (ActiveMQ rule): a second claim is refused. */
  claimClientId(clientId: string, ownerId: string): void {
    const holder = this.clientIds.get(clientId);
    if (holder !== undefined && holder !== ownerId) {
      throw new BrokerError(
        'duplicate-subscription',
        `client-id ${clientId.slice(0, 80)} is already connected`,
        `Another live connection uses client-id '${clientId.slice(0, 80)}'. Each connection needs its own ` +
          'client-id; close the other connection first, or choose a different client-id.',
      );
    }
    this.clientIds.set(clientId, ownerId);
  }

  /** The connection `consumer.ownerId` is gone: its temp queues and client-id go with it. */
  releaseOwner(consumer: Consumer, clientId: string): void {
    if (clientId !== '' && this.clientIds.get(clientId) === consumer.ownerId)
      this.clientIds.delete(clientId);
    const keys = this.tempQueuesByOwner.get(consumer.ownerId);
    if (keys === undefined) return;
    this.tempQueuesByOwner.delete(consumer.ownerId);
    for (const key of keys) {
      this.queues.get(key)?.delete();
      this.queues.delete(key);
    }
  }

  /**
   * A promise that settles once every store write issued so far is durable
   * (a RECEIPT for ACK or COMMIT waits on it), or null when nothing is pending.
   */
  writeBarrier(): Promise<void> | null {
    return this.lastWrite;
  }

  stats(): BrokerStats {
    return { queues: this.queues.size, topics: this.topics.size, published: this.published };
  }

  /** Read-only view of one queue, for tests and the admin API. */
  queueInfo(name: string): { depth: number; consumers: number } | undefined {
    const queue = this.queues.get(name);
    return queue === undefined ? undefined : { depth: queue.depth, consumers: queue.consumerCount };
  }

  // ── QueueHost ────────────────────────────────────────────────────────

  persist(queue: Queue, entry: QueueEntry): Promise<void> | null {
    const storeName = storeNameOf(queue);
    if (!entry.message.persistent || storeName === null || !this.store.durable) return null;
    return this.track(this.store.appendQueueMessage(storeName, storedForm(entry.message)));
  }

  unpersist(queue: Queue, entry: QueueEntry): void {
    const storeName = storeNameOf(queue);
    if (storeName === null) return;
    // A failed removal can only cause a redelivery after restart, never a loss: log, don't fail the consumer.
    this.track(this.store.removeQueueMessage(storeName, entry.seq)).catch(() => {});
  }

  /**
   * Move a message that cannot be delivered to the policy's dead-letter (or
   * expiry) queue, recording where it came from and why. Without one it is
   * dropped and counted.
   */
  deadLetter(queue: Queue, entry: QueueEntry, reason: 'max-redeliveries' | 'expired'): void {
    const template =
      reason === 'expired' ? queue.policy.expiredQueue : queue.policy.deadLetterQueue;
    if (reason === 'expired') this.expired++;
    else this.deadLettered++;
    if (template !== '') {
      const name = template.replaceAll('{name}', queue.destination.replace(/^\/[^/]+\//, ''));
      const original = entry.message;
      const headers = createHeaders();
      for (const [key, value] of Object.entries(original.headers)) headers[key] = value;
      delete headers.expires;
      headers['x-original-destination'] = queue.destination;
      headers['x-dead-letter-reason'] = reason;
      headers['x-delivery-count'] = String(entry.deliveries);
      if (entry.lastFailure !== '') headers['x-last-failure'] = entry.lastFailure;
      headers.destination = `/queue/${name}`;
      const copy = createMessage(original.id, this.nextSeq++, headers, original.body, {
        persistent: original.persistent,
        priority: original.priority,
        expires: 0,
        timestamp: original.timestamp,
      });
      void this.queue(name, `/queue/${name}`)
        .enqueue(new QueueEntry(copy))
        ?.catch(() => {});
    }
    if (entry.persisted) {
      entry.persisted = false;
      this.unpersist(queue, entry);
    }
  }

  idle(queue: Queue): void {
    if (queue.name.startsWith('\u0000')) return; // temp and durable queues live as long as their owner
    if (queue.idle && this.queues.get(queue.name) === queue) this.queues.delete(queue.name);
  }

  // ── start-up and shutdown ────────────────────────────────────────────

  /**
   * Rebuild queues, durable subscriptions and history from the store. After
   * an unclean stop (`cleanShutdown` false) every recovered queue message is
   * flagged redelivered: the broker cannot prove it was not handed out just
   * before the crash, and a duplicate must never look like a first delivery.
   */
  recover(state: RecoveredState, cleanShutdown: boolean): void {
    this.nextSeq = Math.max(this.nextSeq, state.maxSeq + 1);
    for (const record of state.durableSubscriptions) this.durables.restore(record);
    for (const [storeName, messages] of state.queues) {
      let queue: Queue | undefined;
      if (storeName.startsWith(QUEUE_PREFIX)) {
        const name = storeName.slice(QUEUE_PREFIX.length);
        queue = this.queue(name, `/queue/${name}`);
      } else if (storeName.startsWith(DURABLE_PREFIX)) {
        queue = this.durables.queueOf(storeName.slice(DURABLE_PREFIX.length));
      }
      if (queue === undefined) {
        void this.track(this.store.clearQueue(storeName)).catch(() => {});
        continue;
      }
      for (const { message, deliveries } of messages) {
        const entry = new QueueEntry(
          messageFromStore(message),
          cleanShutdown ? deliveries : Math.max(deliveries, 1),
        );
        queue.restore(entry);
      }
    }
    for (const [destination, messages] of state.history) {
      const resolved = resolveDestination(destination);
      const topic = this.topic(resolved.name, `/topic/${resolved.name}`, true)!;
      if (topic.history === null) {
        void this.track(this.store.trimHistory(destination, Number.MAX_SAFE_INTEGER)).catch(
          () => {},
        );
        continue;
      }
      const now = Date.now();
      for (const stored of messages) topic.history.append(messageFromStore(stored), now);
    }
  }

  /** Record how often each stored message was delivered, so a clean restart flags exactly those redelivered. */
  async recordDeliveries(): Promise<void> {
    const writes: Promise<void>[] = [];
    const all: Queue[] = [...this.queues.values(), ...this.durables.queues()];
    for (const queue of all) {
      const storeName = storeNameOf(queue);
      if (storeName === null) continue;
      for (const entry of queue.entries()) {
        if (entry.persisted && entry.deliveries > 0) {
          writes.push(this.store.recordDelivery(storeName, entry.seq, entry.deliveries));
        }
      }
    }
    await Promise.all(writes);
  }

  // ── destinations ─────────────────────────────────────────────────────

  /** Register a store write as the newest, so barriers wait for it. */
  track(write: Promise<void>): Promise<void> {
    this.lastWrite = write;
    write.then(
      () => {
        if (this.lastWrite === write) this.lastWrite = null;
      },
      () => {
        if (this.lastWrite === write) this.lastWrite = null;
      },
    );
    return write;
  }

  queue(name: string, destination: string): Queue {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = new Queue(name, destination, this.policyFor(destination), this);
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Temp queue names are per connection: the same name from two connections is two queues. */
  private tempQueue(ownerId: string, name: string, destination: string): Queue {
    const key = `\u0000temp\u0000${ownerId}\u0000${name}`;
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = new Queue(key, destination, this.policyFor(destination), this);
      this.queues.set(key, queue);
      let keys = this.tempQueuesByOwner.get(ownerId);
      if (keys === undefined) {
        keys = new Set();
        this.tempQueuesByOwner.set(ownerId, keys);
      }
      keys.add(key);
    }
    return queue;
  }

  /** The topic `name`; created when `create` is set or when its policy keeps history (so publishes are retained). */
  private topic(name: string, destination: string, create: boolean): Topic | undefined {
    let topic = this.topics.get(name);
    if (topic !== undefined) return topic;
    const policy = this.policyFor(destination);
    const retention = { maxMessages: policy.historyMaxMessages, maxAgeMs: policy.historyMaxAgeMs };
    if (!create && !retains(retention)) return undefined;
    topic = new Topic(name, retains(retention) ? new TopicHistory(retention) : null, (t) => {
      if (t.idle && this.topics.get(t.name) === t) this.topics.delete(t.name);
    });
    this.topics.set(name, topic);
    return topic;
  }
}

/** The store name of a queue, or null for queues that are never persisted (temp queues). */
function storeNameOf(queue: Queue): string | null {
  if (queue.name.startsWith('\u0000durable\u0000')) return DURABLE_PREFIX + queue.name.slice(9);
  if (queue.name.startsWith('\u0000')) return null;
  return QUEUE_PREFIX + queue.name;
}

function storedForm(message: Message): StoredMessage {
  return {
    seq: message.seq,
    id: message.id,
    headers: message.headers,
    body: message.body,
    priority: message.priority,
    expires: message.expires,
    timestamp: message.timestamp,
  };
}

function messageFromStore(stored: StoredMessage): Message {
  const headers = createHeaders();
  for (const [key, value] of Object.entries(stored.headers)) headers[key] = value;
  return createMessage(stored.id, stored.seq, headers, Buffer.from(stored.body), {
    persistent: true,
    priority: stored.priority,
    expires: stored.expires,
    timestamp: stored.timestamp,
  });
}

export { BrokerError };
