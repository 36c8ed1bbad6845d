import { randomBytes } from 'node:crypto';
import type { ClusterBus } from '../cluster/index.js';
import type { BrokerConfig, DestinationPolicy } from '../config.js';
import { Counters, LIMIT_BREACHES } from '../counters.js';
import { createHeaders, type FrameHeaders } from '../protocol/frame.js';
import type { RecoveredState, Store } from '../store/store.js';
import { AdminViews } from './admin-views.js';
import { ClientIdClaims } from './client-ids.js';
import type { ClusterLink } from './cluster-link.js';
import { ClusterMembership } from './cluster-membership.js';
import { ClusterQueueFeed } from './cluster-queue-feed.js';
import { DeadLetters } from './dead-letter.js';
import { resolveDestination } from './destination.js';
import { DurableSubscriptions } from './durable.js';
import { BrokerError, queueFull, wildcardSend } from './errors.js';
import { ExchangeRegistry } from './exchanges.js';
import { type HistoryRequest, selectAcross } from './history.js';
import { createMessage, type Message, type MessageOptions, QueueEntry } from './message.js';
import { isWildcard, matchesPattern } from './pattern.js';
import { PRESENCE_PREFIX, Presence, type PresenceEvent, presenceMessage } from './presence.js';
import { type DeadLetterReason, NO_QUEUE_ARGUMENTS, Queue, type QueueHost } from './queue.js';
import { bindingArguments, queueArguments } from './queue-arguments.js';
import { QueueFanIn } from './queue-fan-in.js';
import { BrokerRates } from './rates.js';
import { BrokerRecovery } from './recovery.js';
import { storeNameOf } from './store-names.js';
import type { Consumer, Subscription } from './subscription.js';
import { SubscriptionTrie } from './subscription-trie.js';
import { TempDestinations } from './temp-destinations.js';
import { MESSAGES_DROPPED } from './topic-flow.js';
import { TopicHistories } from './topic-histories.js';
import { TopicRouter } from './topic-router.js';
import { TopicStatsTable } from './topic-stats.js';
import { VirtualTopics } from './virtual-topics.js';

/**
 * Destinations and routing. Owns every topic and queue; sessions call in with
 * what their clients sent, and get messages back through their Consumer.
 * Persistent messages go through the Store before anyone is told they are safe.
 */
export class Broker implements QueueHost {
  readonly store: Store;
  /** Event counters (limit breaches, dropped messages), shared with the sessions. */
  readonly counters: Counters;
  private readonly config: BrokerConfig;
  private readonly queues = new Map<string, Queue>();
  /** Every live topic subscription, literal and wildcard. */
  readonly router = new TopicRouter();
  /** Retained history of the topics whose policy keeps some. */
  private readonly histories: TopicHistories;
  private readonly virtualTopics: VirtualTopics;
  /** Wildcard queue subscriptions, so queues created later join them. */
  private readonly queueWildcards = new SubscriptionTrie<QueueFanIn>();
  /** Connection-private temp queues and topics, and the reply names others reach them by. */
  private readonly temps: TempDestinations;
  /** Temp topics live in their own router so no wildcard on ordinary topics can see them. */
  private readonly tempTopics = new TopicRouter();
  private readonly exchanges: ExchangeRegistry;
  private readonly presence = new Presence();
  private readonly clientIds: ClientIdClaims;
  private readonly deadLetters: DeadLetters;
  readonly durables: DurableSubscriptions;
  private readonly idPrefix = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  private nextId = 1;
  private nextSeq = 1;
  /** The newest store write issued; the store commits in order, so it settling means all before it did. */
  private lastWrite: Promise<void> | null = null;
  private readonly policyCache = new Map<string, DestinationPolicy>();
  /** Set by joinCluster(): topics and queues shared with the other nodes through Redis. */
  private cluster: ClusterLink | null = null;
  published = 0;
  expired = 0;
  deadLettered = 0;
  /** Broker-wide totals the sessions bump (MESSAGE frames written, ACK/NACK settlements). */
  delivered = 0;
  redelivered = 0;
  acked = 0;
  nacked = 0;
  /** Per-topic counters (topics have no object of their own). */
  readonly topicStats = new TopicStatsTable();
  /** Broker-wide publish and delivery rates, sampled once a second (admin.sampleRates). */
  readonly rates = new BrokerRates();
  /** What the admin API, explain and metrics see of the destinations (admin-views.ts). */
  readonly admin: AdminViews;
  /** Joining a cluster and what other nodes send here (cluster-membership.ts). */
  private readonly membership: ClusterMembership;
  /** Start-up from the store and the delivery counts written at a clean stop (recovery.ts). */
  private readonly recovery: BrokerRecovery;

  constructor(config: BrokerConfig, store: Store, counters: Counters = new Counters()) {
    this.config = config;
    this.store = store;
    this.counters = counters;
    this.histories = new TopicHistories(this, config.limits.maxHistoryMessages);
    this.durables = new DurableSubscriptions(this, store);
    this.clientIds = new ClientIdClaims(this.durables, () => this.cluster);
    this.temps = new TempDestinations(this, (destination) => this.policyFor(destination));
    this.exchanges = new ExchangeRegistry(config.exchanges, config.defaultExchangeType);
    this.deadLetters = new DeadLetters({
      totals: this,
      exchanges: this.exchanges,
      takeSeq: () => this.nextSeq++,
      queue: (name, destination) => this.queue(name, destination),
      enqueueInto: (queue, entry) => this.enqueueInto(queue, entry),
      unpersist: (queue, entry) => this.unpersist(queue, entry),
    });
    this.router.onDetach = (subscription, name) => {
      if (subscription.presence !== '') this.announce(this.presence.leave(name, subscription));
      if (this.cluster !== null && !name.startsWith(PRESENCE_PREFIX)) this.cluster.leaveTopic(name);
    };
    this.virtualTopics = new VirtualTopics(
      config.virtualTopics.topicPrefix,
      config.virtualTopics.consumerQueuePrefix,
    );
    // One view of the internals for the two helpers, so neither reaches into private fields.
    const parts = {
      config,
      store,
      counters,
      queues: this.queues,
      router: this.router,
      histories: this.histories,
      durables: this.durables,
      topicStats: this.topicStats,
      exchanges: this.exchanges,
      virtualTopics: this.virtualTopics,
      temps: this.temps,
      tempTopics: this.tempTopics,
      rates: this.rates,
      totals: this,
      hasSubscribers: this.hasSubscribers,
      cluster: () => this.cluster,
      takeSeq: () => this.nextSeq++,
      track: (write: Promise<void>) => this.track(write),
      writeBarrier: () => this.lastWrite,
      queue: (name: string, destination: string) => this.queue(name, destination),
    };
    this.admin = new AdminViews(parts);
    this.membership = new ClusterMembership(parts);
    this.recovery = new BrokerRecovery(parts);
  }

  /** A fresh message-id, unique within this broker run (and across runs, by its time+random prefix). */
  /** `timestamp` header text: the messages of one millisecond share one string. */
  private timestampText(ms: number): string {
    if (ms !== this.lastTimestamp) {
      this.lastTimestamp = ms;
      this.lastTimestampText = String(ms);
    }
    return this.lastTimestampText;
  }

  private lastTimestamp = -1;
  private lastTimestampText = '';

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
    if (destination.includes(','))
      return this.publishComposite(destination, headers, body, ownerId, options);
    return this.publishOne(destination, headers, body, ownerId, options);
  }

  /**
   * ActiveMQ composite destinations: `/queue/a,/topic/b` delivers a copy to
   * each. All are checked before any is sent, so a bad one sends nothing.
   */
  private publishComposite(
    destinations: string,
    headers: FrameHeaders,
    body: Buffer,
    ownerId: string,
    options: MessageOptions,
  ): Promise<void> | null {
    const parts = splitComposite(destinations);
    for (const part of parts) this.validateOne(part);
    for (const part of parts) this.refuseIfFull(part);
    const writes: Promise<void>[] = [];
    for (const part of parts) {
      const copy = createHeaders();
      for (const [key, value] of Object.entries(headers)) copy[key] = value;
      const written = this.publishOne(part, copy, body, ownerId, options);
      if (written !== null) writes.push(written);
    }
    return writes.length === 0 ? null : Promise.all(writes).then(() => {});
  }

  private publishOne(
    destination: string,
    headers: FrameHeaders,
    body: Buffer,
    ownerId: string,
    options: MessageOptions,
  ): Promise<void> | null {
    const resolved = resolveDestination(destination);
    // An exchange routing key is literal on SEND (`*` and `#` only mean something in bindings).
    if (resolved.kind !== 'exchange' && isWildcard(destination)) throw wildcardSend(destination);
    const id = this.newMessageId();
    headers.destination = destination;
    headers['message-id'] = id;
    headers.timestamp = this.timestampText(options.timestamp);
    const message = createMessage(id, this.nextSeq++, headers, body, options);
    message.origin = ownerId;
    this.published++;
    let queue: Queue | null;
    switch (resolved.kind) {
      case 'topic':
        return this.publishToTopic(resolved.name, message);
      case 'temp-topic':
        this.tempTopics.route(this.temps.topicKey(ownerId, resolved.name), message);
        return null;
      case 'reply-topic':
        if (this.temps.replyTopicAlive(resolved.name))
          this.tempTopics.route(resolved.name, message);
        else this.cluster?.forwardReply(resolved.name, true, message);
        return null;
      case 'exchange':
        return this.publishToExchange(resolved.name, resolved.key, message);
      case 'queue':
        queue = this.queue(resolved.name, destination);
        break;
      case 'temp-queue':
        queue = this.temps.queue(ownerId, resolved.name);
        break;
      case 'reply-queue':
        queue = this.temps.replyQueue(resolved.name);
        if (queue === null) {
          // Its owner may be connected to another node of the cluster.
          this.cluster?.forwardReply(resolved.name, false, message);
          return null;
        }
        break;
    }
    if (options.expires !== 0 && options.expires <= options.timestamp) {
      // Expired on arrival: never delivered, but it still goes where expired messages go.
      this.deadLetter(queue, new QueueEntry(message), 'expired');
      this.idle(queue);
      return null;
    }
    if (queue.refusing) throw queueFull(queue);
    if (queue.feed !== null) return this.cluster!.append(queue, message);
    return queue.enqueue(new QueueEntry(message));
  }

  /** A SEND to a queue at its maxDepth (overflow 'refuse') is refused before anything is sent. */
  private refuseIfFull(destination: string): void {
    const resolved = resolveDestination(destination);
    if (resolved.kind !== 'queue') return;
    const queue = this.queues.get(resolved.name);
    if (queue?.refusing) throw queueFull(queue);
  }

  /** RabbitMQ exchange: a copy to every queue the exchange's bindings select. */
  private publishToExchange(name: string, key: string, message: Message): Promise<void> | null {
    const exchange = this.exchanges.declare(name, message.headers['x-exchange-type']);
    const targets = exchange.route(key, message.headers);
    // All or nothing: a full bound queue refuses the SEND before any copy goes out.
    for (const queue of targets) if (queue.refusing) throw queueFull(queue);
    const writes: Promise<void>[] = [];
    for (const queue of targets) {
      const written = queue.enqueue(new QueueEntry(message));
      if (written !== null) writes.push(written);
    }
    return writes.length === 0 ? null : Promise.all(writes).then(() => {});
  }

  private publishToTopic(name: string, message: Message): Promise<void> | null {
    // First, so that a SEND refused while Redis is down reaches nobody (no partial delivery).
    if (this.cluster !== null) this.cluster.publishTopic(name, message);
    // One canonical name per topic, whichever alias (/exchange/amq.topic/…) the producer used.
    const destination = `/topic/${name}`;
    const stats = this.topicStats.of(name, this.hasSubscribers);
    message.topic = stats;
    stats.published++;
    let written = this.histories.append(name, message);
    if (this.cluster !== null) this.shareHistory(name, message);
    stats.delivered += this.router.route(name, message);
    const consumerQueues = this.virtualTopics.queuesFor(name);
    let virtual: Promise<void>[] | undefined;
    if (consumerQueues !== undefined) {
      for (const queue of consumerQueues) {
        const stored = this.enqueueInto(queue, new QueueEntry(message));
        if (stored !== null) {
          virtual ??= [];
          virtual.push(stored);
        }
      }
      if (virtual !== undefined) {
        if (written !== null) virtual.push(written);
        written = Promise.all(virtual).then(() => {});
      }
    }
    const durable = this.durables.publish(destination, message);
    if (durable === null) return written;
    return written === null ? durable : Promise.all([written, durable]).then(() => {});
  }

  /** Check a SEND before a transaction holds it, so errors surface at SEND time. */
  validateDestination(destination: string): void {
    for (const part of splitComposite(destination)) this.validateOne(part);
  }

  private validateOne(destination: string): void {
    const resolved = resolveDestination(destination);
    if (resolved.kind !== 'exchange' && isWildcard(destination)) throw wildcardSend(destination);
  }

  /**
   * Start delivering `subscription.destination` to it, after any topic
   * history it asked for. Wildcards (`*`, `>`) select every matching topic,
   * or every matching queue, including ones created later.
   */
  subscribe(
    subscription: Subscription,
    history: HistoryRequest | null,
    headers: FrameHeaders,
  ): void {
    const destination = subscription.destination;
    const resolved = resolveDestination(destination);
    const wildcard = isWildcard(destination);
    if (resolved.kind === 'topic') {
      const canonical = `/topic/${resolved.name}`;
      let replay: Message[] = [];
      if (history !== null) {
        const kept = this.histories.selecting(resolved.name, wildcard);
        if (kept === null) {
          throw new BrokerError(
            'invalid-header',
            `no history kept for ${destination}`,
            `The SUBSCRIBE asked for history, but ${destination} keeps none. Configure retention with a rule in ` +
              `"destinations" (e.g. { "match": "${canonical}", "historyMaxMessages": 1000 }), or subscribe without history headers.`,
          );
        }
        replay = selectAcross(kept, history, Date.now());
      }
      if (resolved.name.startsWith(PRESENCE_PREFIX)) {
        replay = [
          this.presenceMessage(this.presence.snapshot(resolved.name.slice(PRESENCE_PREFIX.length))),
        ];
      }
      // Replay and attach in one synchronous step: no publish can fall between them, so no gap and no duplicate.
      this.router.attach(subscription, resolved.name, replay);
      if (this.cluster !== null && !resolved.name.startsWith(PRESENCE_PREFIX))
        this.cluster.joinTopic(resolved.name);
      if (subscription.presence !== '' && !wildcard) {
        const member = {
          name: subscription.presence,
          session: subscription.consumer.ownerId,
          since: Date.now(),
        };
        this.announce(this.presence.join(resolved.name, subscription, member));
      }
      return;
    }
    const ownerId = subscription.consumer.ownerId;
    switch (resolved.kind) {
      case 'temp-topic':
        this.tempTopics.attach(subscription, this.temps.topicKey(ownerId, resolved.name), []);
        return;
      case 'reply-queue':
      case 'reply-topic':
        throw new BrokerError(
          'invalid-destination',
          `cannot subscribe to ${destination.slice(0, 80)}`,
          'Reply destinations only take SENDs: their owner receives on the /temp-queue/ or /temp-topic/ it named in reply-to.',
        );
      case 'exchange':
        this.subscribeToExchange(subscription, resolved.name, resolved.key, headers);
        return;
      case 'temp-queue':
        this.temps.queue(ownerId, resolved.name).attach(subscription);
        return;
      case 'queue':
        if (wildcard) {
          this.subscribeToQueues(subscription, resolved.name);
          return;
        }
        this.declare(this.queue(resolved.name, destination), headers).attach(subscription);
        return;
    }
  }

  /** A presence event as a message of this broker (ids and sequence numbers are the broker's). */
  private presenceMessage(event: PresenceEvent): Message {
    return presenceMessage(event, this.newMessageId(), this.nextSeq++);
  }

  /** Publish a presence event to `/topic/$presence.<topic>`. */
  private announce(event: PresenceEvent | null): void {
    if (event === null) return;
    const name = PRESENCE_PREFIX + event.topic.slice(7);
    this.router.route(name, this.presenceMessage(event));
  }

  /** A wildcard queue subscription: every matching queue, now and later. */
  private subscribeToQueues(subscription: Subscription, pattern: string): void {
    const fanIn = new QueueFanIn(subscription, (f) => this.queueWildcards.remove(pattern, f));
    this.queueWildcards.add(pattern, fanIn);
    for (const [name, queue] of this.queues) {
      if (!name.startsWith('\u0000') && matchesPattern(pattern, name)) fanIn.add(queue);
    }
  }

  /**
   * RabbitMQ: SUBSCRIBE to `/exchange/NAME/PATTERN` binds a queue to the
   * exchange — a private one that goes with the subscription, or the named
   * `x-queue-name` one, which keeps collecting while its subscriber is away.
   */
  private subscribeToExchange(
    subscription: Subscription,
    name: string,
    pattern: string,
    headers: FrameHeaders,
  ): void {
    const exchange = this.exchanges.declare(name, headers['x-exchange-type']);
    const queueName = headers['x-queue-name'];
    let queue: Queue;
    if (queueName !== undefined && queueName !== '') {
      queue = this.queue(queueName, `/queue/${queueName}`);
    } else {
      const key = `\u0000exchange\u0000${subscription.consumer.ownerId}\u0000${subscription.handle}`;
      queue = new Queue(
        key,
        subscription.destination,
        this.policyFor(subscription.destination),
        this,
      );
      queue.autoDelete = true;
      this.queues.set(key, queue);
    }
    this.declare(queue, headers);
    this.exchanges.bind(exchange, queue, pattern, bindingArguments(headers));
    queue.attach(subscription);
  }

  /** Apply RabbitMQ queue arguments from a SUBSCRIBE the first time a queue is declared with any. */
  private declare(queue: Queue, headers: FrameHeaders): Queue {
    const args = queueArguments(headers);
    if (args !== null && queue.args === NO_QUEUE_ARGUMENTS) queue.args = args;
    return queue;
  }

  /** The opaque name a `reply-to:/temp-queue/NAME` (or /temp-topic/) of this connection is rewritten to. */
  replyDestination(ownerId: string, replyTo: string): string | null {
    return this.temps.replyDestination(ownerId, replyTo);
  }

  /** Attach a subscriber to a durable topic subscription (created on first use). */
  subscribeDurable(
    key: string,
    clientId: string,
    name: string,
    subscription: Subscription,
    owner = '',
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
    const written = this.durables.subscribe(
      key,
      clientId,
      name,
      `/topic/${resolved.name}`,
      subscription,
      owner,
    );
    this.membership.syncStandingTopics();
    return written;
  }

  /**
   * Delete a durable subscription by key: UNSUBSCRIBE naming it, where `owner` is the
   * user asking ('' anonymous) and must own it; or the admin API, with owner null.
   */
  removeDurable(key: string, name: string, owner: string | null = null): Promise<void> | null {
    const written = this.durables.remove(key, name, owner);
    this.membership.syncStandingTopics();
    return written;
  }

  /**
   * One live connection per client-id (ActiveMQ rule), bound to the user
   * whose durable subscriptions it holds; in a cluster also claimed in Redis
   * (client-ids.ts). Throws, or returns a promise that rejects, when refused.
   */
  claimClientId(clientId: string, ownerId: string, user = ''): Promise<void> | null {
    return this.clientIds.claim(clientId, ownerId, user);
  }

  /** The connection `consumer.ownerId` is gone: its temp queues and client-id go with it. */
  releaseOwner(consumer: Consumer, clientId: string): void {
    if (clientId !== '') this.clientIds.release(clientId, consumer.ownerId);
    this.temps.release(consumer.ownerId);
  }

  /**
   * A promise that settles once every store write issued so far is durable
   * (a RECEIPT for ACK or COMMIT waits on it), or null when nothing is pending.
   */
  writeBarrier(): Promise<void> | null {
    return this.lastWrite;
  }

  /** The waiting messages of a queue destination in delivery order, without consuming them (queue browsing). */
  browse(destination: string, limit = 100_000): QueueEntry[] {
    const resolved = resolveDestination(destination);
    if (resolved.kind !== 'queue') {
      throw new BrokerError(
        'invalid-destination',
        `only queues can be browsed, not ${destination.slice(0, 80)}`,
        'browser:true lists the messages waiting in a queue; use it with a /queue/ destination.',
      );
    }
    return this.queues.get(resolved.name)?.browse(limit) ?? [];
  }

  /** Read-only view of one queue, for tests and the admin API. */
  queueInfo(name: string): { depth: number; consumers: number } | undefined {
    const queue = this.queues.get(name);
    return queue === undefined ? undefined : { depth: queue.depth, consumers: queue.consumerCount };
  }

  // ── cluster (cluster-membership.ts does the rest) ────────────────────

  /**
   * Share topics and user queues with the other nodes on `bus` from now on
   * (called once, after recover(), before clients connect).
   */
  async joinCluster(
    bus: ClusterBus,
    warn: (fields: object, message: string) => void,
  ): Promise<void> {
    // Set before anything is shared, so publishes from here on go to the cluster too.
    this.cluster = this.membership.connect(bus, warn);
    await this.membership.join();
  }

  /** A local publish to a topic with history: into the cluster's history stream too. */
  private shareHistory(name: string, message: Message): void {
    const kept = this.histories.describe(name);
    if (kept !== null) this.cluster!.appendHistory(name, message, kept);
  }

  /** Stop the cluster link's timers (the server closes the bus itself). */
  leaveCluster(): void {
    this.membership.leave();
  }

  /** Into a queue, or into its Redis stream when the queue is cluster-shared. */
  private enqueueInto(queue: Queue, entry: QueueEntry): Promise<void> | null {
    if (queue.feed === null || this.cluster === null) return queue.enqueue(entry);
    return this.cluster.append(queue, entry.message);
  }

  private readonly hasSubscribers = (name: string): boolean => this.router.subscribersOf(name) > 0;

  // ── QueueHost ────────────────────────────────────────────────────────

  persist(queue: Queue, entry: QueueEntry): Promise<void> | null {
    const storeName = storeNameOf(queue);
    if (!entry.message.persistent || storeName === null || !this.store.durable) return null;
    // A Message has every StoredMessage field, and the store encodes it at once: no copy object per message.
    return this.track(this.store.appendQueueMessage(storeName, entry.message));
  }

  unpersist(queue: Queue, entry: QueueEntry): void {
    if (queue.feed instanceof ClusterQueueFeed && queue.feed.settled(entry)) return;
    const storeName = storeNameOf(queue);
    if (storeName === null) return;
    // A failed removal can only cause a redelivery after restart, never a loss: log, don't fail the consumer.
    const removal = this.store.removeQueueMessage(storeName, entry.seq, entry.deliveryRecord);
    if (removal === this.lastWrite) return;
    this.track(removal).catch(ignoreFailedRemoval);
  }

  /** Move a message that cannot be delivered to its dead-letter destination, or drop and count it (dead-letter.ts). */
  deadLetter(queue: Queue, entry: QueueEntry, reason: DeadLetterReason): void {
    this.deadLetters.deadLetter(queue, entry, reason);
  }

  autoDelete(queue: Queue): void {
    this.exchanges.unbindAll(queue);
    queue.delete();
    if (this.queues.get(queue.name) === queue) this.queues.delete(queue.name);
  }

  overflow(_queue: Queue, _entry: QueueEntry): void {
    this.counters.increment(LIMIT_BREACHES, { limit: 'maxDepth' });
    this.counters.increment(MESSAGES_DROPPED, { reason: 'queue-full' });
  }

  idle(queue: Queue): void {
    if (queue.name.startsWith('\u0000')) return; // temp and durable queues live as long as their owner
    // Virtual-topic consumer queues collect their group's copy even while no consumer is connected.
    if (this.virtualTopics.topicOf(queue.name) !== null) return;
    // Declared queues (bound to an exchange, or with RabbitMQ arguments) stay, as in RabbitMQ.
    if (this.exchanges.isBound(queue) || queue.args !== NO_QUEUE_ARGUMENTS) return;
    if (queue.idle && this.queues.get(queue.name) === queue) this.queues.delete(queue.name);
  }

  // ── start-up and shutdown ────────────────────────────────────────────

  /** Rebuild queues, durable subscriptions and history from the store (recovery.ts). */
  recover(state: RecoveredState, cleanShutdown: boolean): void {
    this.nextSeq = Math.max(this.nextSeq, state.maxSeq + 1);
    this.recovery.recover(state, cleanShutdown);
  }

  /** Record how often each stored message was delivered, so a clean restart flags exactly those redelivered. */
  recordDeliveries(): Promise<void> {
    return this.recovery.recordDeliveries();
  }

  // ── destinations ─────────────────────────────────────────────────────

  /** Register a store write as the newest, so barriers wait for it. */
  track(write: Promise<void>): Promise<void> {
    // The store answers the writes of one commit batch with one promise: watch it once.
    if (this.lastWrite === write) return write;
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
      if (this.cluster !== null && !name.startsWith('\u0000')) this.cluster.adopt(queue);
      this.virtualTopics.register(queue);
      for (const fanIn of this.queueWildcards.match(name)) fanIn.add(queue);
    }
    return queue;
  }
}

function ignoreFailedRemoval(): void {}

function splitComposite(destinations: string): string[] {
  return destinations
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '');
}

export { BrokerError };
