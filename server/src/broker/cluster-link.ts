// Not from cluster/index.js: that would load ioredis into every broker, clustered or not (issue 9).
import { redisUnavailable } from '../cluster/errors.js';
import type {
  ClusterBus,
  ClusterMessage,
  HistoryEntry,
  StreamMessage,
  TopicSink,
} from '../cluster/index.js';
import type { Counters } from '../counters.js';
import { createHeaders } from '../protocol/frame.js';
import type { DurableSubscriptionRecord } from '../store/store.js';
import { ClusterQueueFeed } from './cluster-queue-feed.js';
import type { DurableSharing } from './durable.js';
import type { HistoryRetention } from './history.js';
import { createMessage, type Message, QueueEntry } from './message.js';
import { isWildcard } from './pattern.js';
import type { Queue } from './queue.js';
import { storedForm } from './stored-form.js';

/** What the link needs from its broker: ordering numbers, local topic routing, write tracking, logs. */
export interface ClusterLinkHost {
  nextSeq(): number;
  /** Route a message published on another node to this node's topic subscribers (and histories, durables). */
  deliverRemoteTopic(name: string, message: Message): void;
  /** Place a reply sent on another node, if its temp destination lives here. */
  deliverRemoteReply(name: string, topic: boolean, message: Message): void;
  /** Register a Redis write so RECEIPT barriers wait for it. */
  track(write: Promise<void>): Promise<void>;
  readonly counters: Counters;
  warn(fields: object, message: string): void;
}

/** Counter of cluster events, labelled `event`: redis-errors, refused, claimed, released, undecodable. */
export const CLUSTER_EVENTS = 'stompede_cluster_events_total';

/**
 * The broker's side of the cluster bus: shares topic publishes with the
 * other nodes and routes theirs here; turns each user queue into a feed from
 * its Redis stream (see ClusterQueueFeed); acknowledges in batches, and
 * keeps acknowledgements that failed during a Redis outage to send again.
 */
export class ClusterLink implements TopicSink, DurableSharing {
  readonly bus: ClusterBus;
  private readonly host: ClusterLinkHost;
  /** Feeds of queues with local consumers, by queue name. */
  private readonly active = new Map<string, ClusterQueueFeed>();
  /** Acknowledgements not yet confirmed by Redis, by queue name. */
  private readonly acks = new Map<string, string[]>();
  private readonly settling = new Set<string>();
  private ackScheduled = false;
  private standing = new Set<string>();
  /** Client-ids of this node's connections, kept alive in Redis with the heartbeat. */
  private readonly clientIds = new Set<string>();
  private lastWarned = 0;
  private readonly pollTimer: NodeJS.Timeout;

  constructor(bus: ClusterBus, host: ClusterLinkHost) {
    this.bus = bus;
    this.host = host;
    bus.topics.setSink(this);
    bus.queues.setNotice((name) => this.active.get(name)?.wakeUp());
    bus.onTick = (live) => this.claim(live);
    bus.onReconnect = () => {
      this.flushAcks();
      this.poll();
    };
    bus.topics.listenForReplies().catch((err: unknown) => this.failed('listen', err));
    this.pollTimer = setInterval(() => this.poll(), bus.options.pollMs);
    this.pollTimer.unref();
  }

  // ── topics ───────────────────────────────────────────────────────────

  /** Share a topic publish with the other nodes; throws (nothing sent anywhere) while Redis is down. */
  publishTopic(name: string, message: Message): void {
    this.requireRedis('topics');
    const batch = this.bus.topics.publish(name, storedForm(message), message.persistent);
    if (batch !== null) this.host.track(batch.catch((err: unknown) => this.failed('publish', err)));
  }

  /** A local topic subscription starts: this node hears the topic (or pattern) from the others. */
  joinTopic(name: string): void {
    const joined = this.bus.topics.join(name, isWildcard(name));
    // Its RECEIPT waits for Redis to confirm, unless Redis is down (then it applies on reconnect).
    if (joined !== null && this.bus.healthy) this.host.track(joined.then(noop, noop));
    else joined?.catch(noop);
  }

  leaveTopic(name: string): void {
    this.bus.topics.leave(name, isWildcard(name));
  }

  remoteTopicMessage(name: string, remote: ClusterMessage): void {
    this.host.deliverRemoteTopic(name, this.messageOf(remote));
  }

  remoteReply(name: string, topic: boolean, remote: ClusterMessage): void {
    this.host.deliverRemoteReply(name, topic, this.messageOf(remote));
  }

  /** A reply for a temp destination that is not on this node: to the node that has it. */
  forwardReply(name: string, topic: boolean, message: Message): void {
    this.requireRedis('replies');
    const sent = this.bus.topics.publishReply(name, topic, storedForm(message), message.persistent);
    this.host.track(sent.then(noop, (err: unknown) => this.failed('reply', err)));
  }

  /**
   * Topics this node hears whether or not a client subscribes (the ones with
   * history, and those of durable subscriptions), so that their histories
   * and durable queues get every node's messages.
   */
  setStandingTopics(names: Iterable<string>): void {
    const next = new Set(names);
    for (const name of next) if (!this.standing.has(name)) this.joinTopic(name);
    for (const name of this.standing) if (!next.has(name)) this.leaveTopic(name);
    this.standing = next;
  }

  /**
   * Keep a message of a topic with history in the cluster's history stream.
   * Called before the topic PUBLISH goes out (that waits for the end of the
   * turn), so a node that hears the message live finds it in the stream too.
   */
  appendHistory(name: string, message: Message, retention: HistoryRetention): void {
    const written = this.bus.histories.append(
      name,
      storedForm(message),
      message.persistent,
      retention.maxMessages,
      retention.maxAgeMs,
    );
    this.host.track(written.catch((err: unknown) => this.failed('history', err)));
  }

  removeHistory(name: string): void {
    this.bus.histories.remove(name).catch((err: unknown) => this.failed('history', err));
  }

  /**
   * What the cluster's history streams hold for the topics `countOf` keeps
   * history for (it returns how many messages, 0 for no count limit, or
   * null to skip the topic). Call once this node hears those topics live:
   * the streams then hold everything it has not heard.
   */
  async loadHistories(countOf: (topic: string) => number | null): Promise<Map<string, Message[]>> {
    const read: { topic: string; entry: HistoryEntry }[] = [];
    for (const topic of await this.bus.histories.topics()) {
      const count = countOf(topic);
      if (count === null) continue;
      for (const entry of await this.bus.histories.read(topic, count)) read.push({ topic, entry });
    }
    read.sort((a, b) => compareStreamIds(a.entry.id, b.entry.id));
    // Older than anything heard live: seqs below zero, in Redis's order across topics, since a
    // wildcard history request merges topics by seq.
    let seq = -read.length;
    const out = new Map<string, Message[]>();
    for (const { topic, entry } of read) {
      let list = out.get(topic);
      if (list === undefined) {
        list = [];
        out.set(topic, list);
      }
      list.push(this.messageOf(entry.decoded, seq++));
    }
    return out;
  }

  undecodable(channel: string): void {
    this.host.counters.increment(CLUSTER_EVENTS, { event: 'undecodable' });
    this.host.warn({ channel }, 'ignored a cluster message that cannot be decoded');
  }

  // ── client-ids ───────────────────────────────────────────────────────

  /**
   * Take a client-id for a connection of this node, cluster-wide. Resolves
   * with the node whose connection holds it instead, or null. While Redis
   * is down (or fails) the node's own check is all there is: null.
   */
  claimClientId(clientId: string): Promise<string | null> | null {
    this.clientIds.add(clientId);
    if (!this.bus.healthy) return null;
    return this.bus.clientIds
      .claim(clientId)
      .then((holder) =>
        // A connection that has just ended on another node lets go of its client-id right after its
        // DISCONNECT RECEIPT: a client reconnecting elsewhere at once may come first. Ask once more.
        holder === null
          ? null
          : delay(RECLAIM_DELAY_MS).then(() => this.bus.clientIds.claim(clientId)),
      )
      .catch((err: unknown) => {
        this.failed('client-id', err);
        return null;
      });
  }

  releaseClientId(clientId: string): void {
    this.clientIds.delete(clientId);
    // Not reachable now: the key expires with the node's TTL, no longer refreshed.
    if (this.bus.healthy)
      this.bus.clientIds.release(clientId).catch((err: unknown) => this.failed('client-id', err));
  }

  // ── queues ───────────────────────────────────────────────────────────

  /** Make a user queue cluster-shared: its messages live in Redis from now on. */
  adopt(queue: Queue): void {
    queue.feed = new ClusterQueueFeed(this, queue);
  }

  /** A SEND to a shared queue: into its stream; resolves once Redis has it (the RECEIPT waits). */
  append(queue: Queue, message: Message): Promise<void> {
    this.requireRedis('queues');
    return this.bus.queues
      .append(queue.name, storedForm(message), message.persistent)
      .catch((err: unknown) => {
        this.failed('append', err);
        throw redisUnavailable('queues', (err as Error).message);
      });
  }

  // ── durable subscriptions (records in Redis, messages in a queue stream each) ──

  ready(): void {
    this.requireRedis('durable subscriptions');
  }

  saved(record: DurableSubscriptionRecord): Promise<void> {
    this.requireRedis('durable subscriptions');
    return this.bus.durables.save(record).catch((err: unknown) => {
      this.failed('durable-save', err);
      throw redisUnavailable('durable subscriptions', (err as Error).message);
    });
  }

  removed(record: DurableSubscriptionRecord, queue: Queue): Promise<void> {
    this.requireRedis('durable subscriptions');
    return Promise.all([this.bus.durables.remove(record.key), this.bus.queues.destroy(queue.name)])
      .then(noop)
      .catch((err: unknown) => {
        this.failed('durable-remove', err);
        throw redisUnavailable('durable subscriptions', (err as Error).message);
      });
  }

  entryOf(message: StreamMessage): QueueEntry {
    return new QueueEntry(this.messageOf(message.decoded), message.deliveries);
  }

  activated(feed: ClusterQueueFeed): void {
    this.active.set(feed.name, feed);
    this.bus.queues.listen(feed.name, true);
  }

  deactivated(feed: ClusterQueueFeed): void {
    if (this.active.get(feed.name) === feed) {
      this.active.delete(feed.name);
      this.bus.queues.listen(feed.name, false);
    }
  }

  ack(queue: string, id: string): void {
    let list = this.acks.get(queue);
    if (list === undefined) {
      list = [];
      this.acks.set(queue, list);
    }
    list.push(id);
    this.settling.add(id);
    if (!this.ackScheduled) {
      this.ackScheduled = true;
      // One transaction per queue for every ACK of this turn of the event loop.
      setImmediate(() => this.flushAcks());
    }
  }

  /** Whether `id` was acknowledged here and Redis has not confirmed it yet (not to be taken back). */
  isSettling(id: string): boolean {
    return this.settling.has(id);
  }

  private flushAcks(): void {
    this.ackScheduled = false;
    if (!this.bus.healthy) return; // kept for the reconnect
    for (const [queue, ids] of this.acks) {
      this.acks.delete(queue);
      const done = this.bus.queues.ack(queue, ids).then(
        () => {
          for (const id of ids) this.settling.delete(id);
        },
        (err: unknown) => {
          this.failed('ack', err);
          const again = this.acks.get(queue);
          if (again === undefined) this.acks.set(queue, ids);
          else again.push(...ids);
        },
      );
      this.host.track(done);
    }
  }

  recordDeliveries(queue: string, id: string, deliveries: number): void {
    this.bus.queues
      .recordDeliveries(queue, id, deliveries)
      .catch((err: unknown) => this.failed('record', err));
  }

  release(queue: string, items: { id: string; raw: Buffer; deliveries: number }[]): void {
    this.host.counters.increment(CLUSTER_EVENTS, { event: 'released' }, items.length);
    this.host.track(
      this.bus.queues.release(queue, items).catch((err: unknown) => this.failed('release', err)),
    );
  }

  /** Wake every consuming feed: covers notices lost while the pub/sub connection was away. */
  private poll(): void {
    for (const feed of this.active.values()) feed.wakeUp();
  }

  /** Heartbeat: keep this node's client-ids; take over what dead nodes held, for the queues it consumes. */
  private async claim(live: ReadonlySet<string>): Promise<void> {
    await this.bus.clientIds.refresh(this.clientIds);
    const { claimIdleMs, readBatch } = this.bus.options;
    for (const feed of [...this.active.values()]) {
      const room = feed.demand(readBatch);
      if (room <= 0) continue;
      const claimed = await this.bus.queues.claimFromDead(feed.name, live, claimIdleMs, room);
      if (claimed.length === 0) continue;
      this.host.counters.increment(CLUSTER_EVENTS, { event: 'claimed' }, claimed.length);
      feed.take(claimed);
    }
  }

  /** Throw the ERROR a client gets while Redis is down. */
  private requireRedis(what: string): void {
    if (this.bus.healthy) return;
    this.host.counters.increment(CLUSTER_EVENTS, { event: 'refused' });
    throw redisUnavailable(what, this.bus.lastError);
  }

  failed(operation: string, err: unknown): void {
    this.host.counters.increment(CLUSTER_EVENTS, { event: 'redis-errors' });
    // Failures come in floods during an outage: one line a second, the counter has them all.
    const now = Date.now();
    if (now - this.lastWarned < 1000) return;
    this.lastWarned = now;
    this.host.warn({ operation, err: (err as Error).message }, 'cluster operation failed');
  }

  private messageOf(remote: ClusterMessage, seq = this.host.nextSeq()): Message {
    const stored = remote.message;
    const headers = createHeaders();
    for (const key of Object.keys(stored.headers)) headers[key] = stored.headers[key]!;
    const message = createMessage(stored.id, seq, headers, stored.body, {
      persistent: remote.persistent,
      priority: stored.priority,
      expires: stored.expires,
      timestamp: stored.timestamp,
    });
    return message;
  }

  close(): void {
    clearInterval(this.pollTimer);
  }
}

function noop(): void {}

/** Order of two stream ids (`<ms>-<n>`). */
function compareStreamIds(a: string, b: string): number {
  const [aMs = 0, aN = 0] = a.split('-').map(Number);
  const [bMs = 0, bN = 0] = b.split('-').map(Number);
  return aMs - bMs || aN - bN;
}

/** How long a client-id claim refused by another node waits before asking again (once). */
const RECLAIM_DELAY_MS = 100;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
