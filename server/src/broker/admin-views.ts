import type { Store } from '../store/store.js';
import type { ClusterLink } from './cluster-link.js';
import type { DurableSubscriptions } from './durable.js';
import type { ExchangeRegistry } from './exchanges.js';
import { isWildcard } from './pattern.js';
import type { Queue } from './queue.js';
import type { BrokerRates } from './rates.js';
import { storeNameOf } from './store-names.js';
import type { TopicHistories } from './topic-histories.js';
import type { TopicRouter } from './topic-router.js';
import type { TopicStatsTable } from './topic-stats.js';
import type { VirtualTopics } from './virtual-topics.js';

export interface BrokerStats {
  queues: number;
  topics: number;
  published: number;
}

/** The broker's collections the admin views read (and purge/delete act on). */
export interface AdminViewsHost {
  readonly store: Store;
  readonly queues: Map<string, Queue>;
  readonly router: TopicRouter;
  readonly histories: TopicHistories;
  readonly durables: DurableSubscriptions;
  readonly topicStats: TopicStatsTable;
  readonly exchanges: ExchangeRegistry;
  readonly virtualTopics: VirtualTopics;
  readonly rates: BrokerRates;
  /** The broker-wide totals the rate rings sample. */
  readonly totals: { readonly published: number; readonly delivered: number };
  /** The cluster link, once the broker has joined one. */
  cluster(): ClusterLink | null;
  /** Register a store write as the newest, so receipt barriers wait for it. */
  track(write: Promise<void>): Promise<void>;
}

/**
 * What the admin API, explain and metrics see of the broker: read-only
 * views of its destinations, plus the admin's purge and delete. Kept apart
 * from Broker so routing code and the operator's views change separately.
 */
export class AdminViews {
  private readonly host: AdminViewsHost;

  constructor(host: AdminViewsHost) {
    this.host = host;
  }

  /** Every named queue (`/queue/NAME`): not temp, durable-subscription or exchange-private ones. */
  namedQueues(): Queue[] {
    const out: Queue[] = [];
    for (const queue of this.host.queues.values())
      if (!queue.name.startsWith('\u0000')) out.push(queue);
    return out;
  }

  /** The named queue `name` (as in `/queue/NAME`), if it exists. */
  findQueue(name: string): Queue | undefined {
    return name.startsWith('\u0000') ? undefined : this.host.queues.get(name);
  }

  /** Remove queue `name`: its waiting messages are dropped (and unstored), its consumers detached. Returns how many were dropped. */
  deleteQueue(name: string): number {
    const queue = this.findQueue(name);
    if (queue === undefined) return 0;
    this.host.exchanges.unbindAll(queue);
    const dropped = queue.delete();
    this.host.queues.delete(name);
    const storeName = storeNameOf(queue);
    if (storeName !== null && this.host.store.durable)
      void this.host.track(this.host.store.clearQueue(storeName)).catch(() => {});
    return dropped;
  }

  /** Names of every topic the broker knows: counted, subscribed to, with history, or with durable subscriptions. */
  topicNames(): Set<string> {
    const names = new Set<string>();
    for (const [name] of this.host.topicStats.entries()) names.add(name);
    for (const name of this.host.router.names()) if (!isWildcard(name)) names.add(name);
    for (const name of this.host.histories.names()) names.add(name);
    for (const record of this.host.durables.records()) {
      const name = record.destination.slice('/topic/'.length);
      if (!isWildcard(name)) names.add(name);
    }
    return names;
  }

  /** Retention of topic `name`'s history and how many messages it holds; null when it keeps none. */
  topicHistory(name: string): { size: number; maxMessages: number; maxAgeMs: number } | null {
    return this.host.histories.describe(name);
  }

  /** Forget topic `name`: its history (memory and store) and counters. Live subscribers stay subscribed. */
  deleteTopic(name: string): void {
    this.host.histories.remove(name);
    this.host.cluster()?.removeHistory(name);
    this.host.topicStats.delete(name);
  }

  /** The virtual-topic consumer queues a message on topic `name` is copied to. */
  virtualQueuesFor(name: string): ReadonlySet<Queue> | undefined {
    return this.host.virtualTopics.queuesFor(name);
  }

  /** The exchanges and what is bound to them. */
  get exchangeRegistry(): ExchangeRegistry {
    return this.host.exchanges;
  }

  /** Push every rate ring's sample; called once a second by the server. */
  sampleRates(now: number): void {
    this.host.rates.sample(now, this.host.totals);
    for (const queue of this.host.queues.values())
      queue.rates.sample(now, queue.enqueued, queue.dequeued);
    for (const queue of this.host.durables.queues())
      queue.rates.sample(now, queue.enqueued, queue.dequeued);
    for (const [, stats] of this.host.topicStats.entries())
      stats.rates.sample(now, stats.published, stats.delivered);
  }

  stats(): BrokerStats {
    return {
      queues: this.host.queues.size,
      topics: this.host.histories.size,
      published: this.host.totals.published,
    };
  }
}
