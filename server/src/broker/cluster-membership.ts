import type { ClusterBus } from '../cluster/index.js';
import type { BrokerConfig } from '../config.js';
import type { Counters } from '../counters.js';
import { ClusterLink, type ClusterLinkHost } from './cluster-link.js';
import type { DurableSubscriptions } from './durable.js';
import { type Message, QueueEntry } from './message.js';
import type { Queue } from './queue.js';
import type { TempDestinations } from './temp-destinations.js';
import type { TopicHistories } from './topic-histories.js';
import type { TopicRouter } from './topic-router.js';
import type { TopicStatsTable } from './topic-stats.js';

/** The broker's collections and numbers its cluster side works on. */
export interface ClusterMembershipHost {
  readonly config: BrokerConfig;
  readonly counters: Counters;
  readonly queues: ReadonlyMap<string, Queue>;
  readonly router: TopicRouter;
  readonly histories: TopicHistories;
  readonly durables: DurableSubscriptions;
  readonly topicStats: TopicStatsTable;
  readonly temps: TempDestinations;
  /** The router of temp topics, apart from ordinary topics. */
  readonly tempTopics: TopicRouter;
  hasSubscribers(name: string): boolean;
  /** A publish order number from the broker's sequence. */
  takeSeq(): number;
  /** Register a store write as the newest, so receipt barriers wait for it. */
  track(write: Promise<void>): Promise<void>;
  /** The newest store write not yet settled, or null. */
  writeBarrier(): Promise<void> | null;
}

/**
 * The broker's side of joining a cluster: sets up the ClusterLink, shares
 * queues, durable subscriptions and histories with the other nodes, keeps
 * the standing topics in step, and places what other nodes send here.
 * The publish path reaches the link directly; this holds what happens
 * around it.
 */
export class ClusterMembership implements ClusterLinkHost {
  private readonly host: ClusterMembershipHost;
  private link: ClusterLink | null = null;
  private warnWith: (fields: object, message: string) => void = () => {};

  constructor(host: ClusterMembershipHost) {
    this.host = host;
  }

  get counters(): Counters {
    return this.host.counters;
  }

  /** Open the link on `bus`; join() then shares this node's state through it. */
  connect(bus: ClusterBus, warn: (fields: object, message: string) => void): ClusterLink {
    this.warnWith = warn;
    this.link = new ClusterLink(bus, this);
    return this.link;
  }

  /**
   * Share topics and user queues with the other nodes from now on (called
   * once, after recover(), before clients connect).
   */
  async join(): Promise<void> {
    const link = this.link!;
    const host = this.host;
    for (const [name, queue] of host.queues) if (!name.startsWith('\u0000')) link.adopt(queue);
    // Durable subscriptions are the cluster's: every node knows all of them, to append its publishes.
    host.durables.share(link);
    const shared = await link.bus.durables.open((change) => host.durables.applyShared(change));
    for (const record of shared) host.durables.applyShared({ op: 'set', record });
    // Histories too: hear every node's publishes first, then read what came before from Redis.
    host.histories.share();
    this.syncStandingTopics();
    await host.writeBarrier()?.catch(() => {});
    const older = await link.loadHistories((topic) =>
      host.histories.of(topic) === null ? null : host.histories.describe(topic)!.maxMessages,
    );
    for (const [topic, messages] of older) host.histories.adoptOlder(topic, messages);
  }

  /** Stop the link's timers (the server closes the bus itself). */
  leave(): void {
    this.link?.close();
  }

  /** The topics this node must hear from the others even without subscribers: histories and durables. */
  syncStandingTopics(): void {
    if (this.link === null) return;
    const names: string[] = [];
    const { config, durables } = this.host;
    const defaults = config.destinationDefaults;
    if (defaults.historyMaxMessages > 0 || defaults.historyMaxAgeMs > 0) names.push('>');
    for (const rule of config.destinations) {
      const keeps = (rule.historyMaxMessages ?? 0) > 0 || (rule.historyMaxAgeMs ?? 0) > 0;
      if (keeps && rule.match.startsWith('/topic/')) names.push(rule.match.slice(7));
    }
    // Shared durables get every node's publishes in their streams; only local-only ones listen here.
    for (const { record, queue } of durables.describe())
      if (queue.feed === null) names.push(record.destination.slice(7));
    this.link.setStandingTopics(names);
  }

  // ── ClusterLinkHost ──────────────────────────────────────────────────

  nextSeq(): number {
    return this.host.takeSeq();
  }

  track(write: Promise<void>): Promise<void> {
    return this.host.track(write);
  }

  warn(fields: object, message: string): void {
    this.warnWith(fields, message);
  }

  /** A reply sent on another node to a temp destination of this node's clients. */
  deliverRemoteReply(name: string, topic: boolean, message: Message): void {
    if (topic) {
      if (this.host.temps.replyTopicAlive(name)) this.host.tempTopics.route(name, message);
      return;
    }
    this.host.temps
      .replyQueue(name)
      ?.enqueue(new QueueEntry(message))
      ?.catch(() => {});
  }

  /** A message another node published to topic `name`: this node's subscribers, histories and durables. */
  deliverRemoteTopic(name: string, message: Message): void {
    const host = this.host;
    host.histories.appendRemote(name, message);
    // Counted as delivered here; its node counted it as published.
    const stats = host.topicStats.of(name, host.hasSubscribers);
    message.topic = stats;
    stats.delivered += host.router.route(name, message);
    host.durables.publish(`/topic/${name}`, message, true)?.catch(() => {});
  }
}
