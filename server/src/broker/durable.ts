import type { DurableChange } from '../cluster/index.js';
import type { DurableSubscriptionRecord, Store } from '../store/store.js';
import { BrokerError } from './errors.js';
import { type Message, QueueEntry } from './message.js';
import { matchesPattern } from './pattern.js';
import { Queue, type QueueHost } from './queue.js';
import type { Subscription } from './subscription.js';

interface Durable {
  record: DurableSubscriptionRecord;
  queue: Queue;
  /** The subscription currently attached, if its subscriber is connected. */
  live: Subscription | null;
}

/** What the registry needs from the broker that owns it. */
export interface DurableHost extends QueueHost {
  policyFor(destination: string): Queue['policy'];
  track(write: Promise<void>): Promise<void>;
}

/**
 * How a cluster shares durable subscriptions (see ClusterLink): their records
 * live in Redis, their messages in a queue stream per subscription.
 */
export interface DurableSharing {
  /** Throw the ERROR a client gets while Redis is down (before creating or deleting changes anything). */
  ready(): void;
  /** Make a subscription's queue a feed from its stream. */
  adopt(queue: Queue): void;
  /** Append a topic message to the subscription's stream (throws while Redis is down). */
  append(queue: Queue, message: Message): Promise<void>;
  /** The record was created or replaced here: into Redis, announced to the other nodes. */
  saved(record: DurableSubscriptionRecord): Promise<void>;
  /** Deleted here: out of Redis with its stream, announced to the other nodes. */
  removed(record: DurableSubscriptionRecord, queue: Queue): Promise<void>;
}

/**
 * Durable topic subscriptions (ActiveMQ `client-id` + `activemq.subscriptionName`,
 * RabbitMQ `durable:true` + `id`). Each is a queue fed by its topic: while the
 * subscriber is away, persistent messages wait in it (stored); while it is
 * connected, every message flows through it.
 */
export class DurableSubscriptions {
  private readonly byKey = new Map<string, Durable>();
  /** client-id → its owner and how many of its durable subscriptions name that owner (owned ones only). */
  private readonly owners = new Map<string, { owner: string; count: number }>();
  private readonly host: DurableHost;
  private readonly store: Store;
  /** Set when the broker joins a cluster: new subscriptions are then shared. */
  private sharing: DurableSharing | null = null;

  constructor(host: DurableHost, store: Store) {
    this.host = host;
    this.store = store;
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Recreate a subscription found in the store at start-up (its subscriber is not connected yet). */
  restore(record: DurableSubscriptionRecord): void {
    this.byKey.set(record.key, { record, queue: this.newQueue(record), live: null });
    this.bind(record);
  }

  /**
   * Share durable subscriptions with a cluster from now on. Ones restored
   * from this node's store before stay local to it.
   */
  share(sharing: DurableSharing): void {
    this.sharing = sharing;
  }

  /**
   * Another node created, replaced or deleted a shared subscription (or this
   * node loads them at start): mirror it here, so this node's publishes
   * reach it and its owner binding holds here too.
   */
  applyShared(change: DurableChange): void {
    const key = change.op === 'set' ? change.record.key : change.key;
    const existing = this.byKey.get(key);
    if (change.op === 'set' && existing !== undefined && existing.queue.feed !== null) {
      if (existing.record.destination === change.record.destination) {
        this.unbind(existing.record);
        existing.record = change.record;
        this.bind(change.record);
        return;
      }
    }
    if (existing !== undefined) {
      this.byKey.delete(key);
      this.unbind(existing.record);
      existing.queue.delete();
      if (this.isLive(existing)) existing.live!.close();
    }
    if (change.op === 'set') {
      const record = change.record;
      this.byKey.set(key, { record, queue: this.newQueue(record), live: null });
      this.bind(record);
    }
  }

  /** The user a client-id is bound to (the owner of its durable subscriptions); '' when unbound. */
  ownerOfClientId(clientId: string): string {
    return this.owners.get(clientId)?.owner ?? '';
  }

  /** The record of durable subscription `key`, if there is one. */
  record(key: string): DurableSubscriptionRecord | undefined {
    return this.byKey.get(key)?.record;
  }

  queueOf(key: string): Queue | undefined {
    return this.byKey.get(key)?.queue;
  }

  queues(): Queue[] {
    return [...this.byKey.values()].map((d) => d.queue);
  }

  records(): DurableSubscriptionRecord[] {
    return [...this.byKey.values()].map((d) => d.record);
  }

  /** Feed a topic message to every durable subscription on that topic. Returns pending store commits, if any. */
  /**
   * `remote`: published on another node of the cluster, which has appended
   * it to the shared subscriptions' streams; only local-only ones take it here.
   */
  publish(destination: string, message: Message, remote = false): Promise<void> | null {
    if (this.byKey.size === 0) return null;
    const pending: Promise<void>[] = [];
    for (const durable of this.byKey.values()) {
      const shared = durable.queue.feed !== null;
      if (remote && shared) continue;
      if (this.refusal(durable, destination, message) !== null) continue;
      const stored = shared
        ? this.sharing!.append(durable.queue, message)
        : durable.queue.enqueue(new QueueEntry(message));
      if (stored !== null) pending.push(stored);
    }
    return pending.length === 0 ? null : Promise.all(pending).then(() => {});
  }

  /**
   * Attach a subscriber to its durable subscription, creating it on first use.
   * Re-subscribing to a different topic under the same name replaces it
   * (its waiting messages are dropped), as ActiveMQ does.
   */
  subscribe(
    key: string,
    clientId: string,
    name: string,
    topic: string,
    subscription: Subscription,
    owner = '',
  ): Promise<void> | null {
    let durable = this.byKey.get(key);
    if (durable !== undefined) checkDurableOwner(durable.record, owner);
    if (durable !== undefined && this.isLive(durable)) {
      throw new BrokerError(
        'duplicate-subscription',
        `durable subscription ${name.slice(0, 80)} is already active`,
        `The durable subscription '${name.slice(0, 80)}' of client-id '${clientId.slice(0, 80)}' already has a ` +
          'connected subscriber. Only one subscriber may use a durable subscription at a time.',
      );
    }
    let written: Promise<void> | null = null;
    if (this.sharing !== null && (durable === undefined || durable.record.destination !== topic))
      this.sharing.ready();
    if (durable !== undefined && durable.record.destination !== topic) {
      this.drop(durable);
      durable = undefined;
    }
    if (durable === undefined) {
      const record: DurableSubscriptionRecord = {
        key,
        clientId,
        name,
        destination: topic,
        selector: '',
        queue: `d:${key}`,
        createdAt: Date.now(),
        owner,
      };
      durable = { record, queue: this.newQueue(record), live: null };
      this.byKey.set(key, durable);
      this.bind(record);
      if (this.sharing !== null) written = this.host.track(this.sharing.saved(record));
      else if (this.store.durable)
        written = this.host.track(this.store.saveDurableSubscription(record));
    }
    durable.live = subscription;
    durable.queue.attach(subscription);
    return written;
  }

  /**
   * Delete a durable subscription and everything waiting in it (UNSUBSCRIBE with its name).
   * `owner` is the user asking ('' anonymous), checked against the subscription's owner;
   * null is an administrative removal (the admin API), which no owner binding stops.
   */
  remove(key: string, name: string, owner: string | null = null): Promise<void> | null {
    const durable = this.byKey.get(key);
    if (durable === undefined) {
      throw new BrokerError(
        'invalid-header',
        `no durable subscription named ${name.slice(0, 80)}`,
        `UNSUBSCRIBE asked to remove the durable subscription '${name.slice(0, 80)}', but this client-id has none ` +
          'by that name. Check the client-id on CONNECT and the subscription name.',
      );
    }
    if (owner !== null) checkDurableOwner(durable.record, owner);
    if (durable.queue.feed !== null) this.sharing!.ready();
    if (this.isLive(durable)) durable.live!.close();
    return this.drop(durable);
  }

  private bind(record: DurableSubscriptionRecord): void {
    if (!record.owner) return;
    const bound = this.owners.get(record.clientId);
    if (bound === undefined) this.owners.set(record.clientId, { owner: record.owner, count: 1 });
    else bound.count++;
  }

  private unbind(record: DurableSubscriptionRecord): void {
    const bound = this.owners.get(record.clientId);
    if (!record.owner || bound === undefined || bound.owner !== record.owner) return;
    if (--bound.count === 0) this.owners.delete(record.clientId);
  }

  private drop(durable: Durable): Promise<void> | null {
    this.byKey.delete(durable.record.key);
    this.unbind(durable.record);
    durable.queue.delete();
    if (durable.queue.feed !== null)
      return this.host.track(this.sharing!.removed(durable.record, durable.queue));
    if (!this.store.durable) return null;
    return this.host.track(
      Promise.all([
        this.store.clearQueue(durable.record.queue),
        this.store.deleteDurableSubscription(durable.record.key),
      ]).then(() => {}),
    );
  }

  /**
   * Why durable subscription `durable` does not take a message published to
   * `destination`: another topic, or it is offline and the message is not
   * persistent (offline subscribers keep persistent messages only, ActiveMQ's
   * rule). Null when it takes it. Shared by publish() and explain().
   */
  private refusal(
    durable: Durable,
    destination: string,
    message: Message,
  ): 'other-topic' | 'offline-non-persistent' | null {
    if (!matchesPattern(durable.record.destination, destination)) return 'other-topic';
    // A shared one may have its subscriber on another node: this node cannot tell it is offline.
    if (!message.persistent && !this.isLive(durable) && durable.queue.feed === null)
      return 'offline-non-persistent';
    return null;
  }

  /** The durable subscriptions on `destination` and whether each would take `message` (routing explain). */
  explain(
    destination: string,
    message: Message,
  ): {
    record: DurableSubscriptionRecord;
    queue: Queue;
    live: Subscription | null;
    refusal: 'offline-non-persistent' | null;
  }[] {
    const out = [];
    for (const durable of this.byKey.values()) {
      const refusal = this.refusal(durable, destination, message);
      if (refusal === 'other-topic') continue;
      out.push({
        record: durable.record,
        queue: durable.queue,
        live: this.isLive(durable) ? durable.live : null,
        refusal,
      });
    }
    return out;
  }

  /** Every durable subscription with its queue and whether its subscriber is connected (admin API). */
  describe(): { record: DurableSubscriptionRecord; queue: Queue; online: boolean }[] {
    return [...this.byKey.values()].map((d) => ({
      record: d.record,
      queue: d.queue,
      online: this.isLive(d),
    }));
  }

  private isLive(durable: Durable): boolean {
    return durable.live !== null && durable.live.source !== null;
  }

  private newQueue(record: DurableSubscriptionRecord): Queue {
    const queue = new Queue(
      `\u0000durable\u0000${record.key}`,
      record.destination,
      this.host.policyFor(record.destination),
      this.host,
    );
    this.sharing?.adopt(queue);
    return queue;
  }
}

/**
 * A durable subscription created by an authenticated user is that user's:
 * nobody else (another user, or an anonymous connection) may attach to it
 * or delete it. Ones created anonymously stay open to everyone, as before.
 */
export function checkDurableOwner(record: DurableSubscriptionRecord, owner: string): void {
  if (!record.owner || record.owner === owner) return;
  throw new BrokerError(
    'not-authorized',
    `durable subscription ${record.name.slice(0, 80)} belongs to another user`,
    `The durable subscription '${record.name.slice(0, 80)}' (client-id '${record.clientId.slice(0, 80)}') was ` +
      'created by another user; only that user may use or remove it. Use a client-id and subscription name of your own.',
  );
}
