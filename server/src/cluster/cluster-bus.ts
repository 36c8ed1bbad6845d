import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ClientIdRegistry } from './client-ids.js';
import { connectRedis } from './connection.js';
import { DurableDirectory } from './durable-directory.js';
import { HistoryStreams } from './history-streams.js';
import { type NodeRecord, NodeRegistry } from './node-registry.js';
import { QueueStreams } from './queue-streams.js';
import { maskRedisUrl } from './redis-url.js';
import { TopicBus } from './topic-bus.js';

/** The cluster settings this layer needs (config `cluster`, with the URL set and the node id chosen). */
export interface ClusterOptions {
  url: string;
  nodeId: string;
  keyPrefix: string;
  heartbeatMs: number;
  nodeTtlMs: number;
  claimIdleMs: number;
  readBatch: number;
  pollMs: number;
  connectTimeoutMs: number;
}

/** Where the bus logs (pino-compatible; the cluster layer imports no logger of its own). */
export interface ClusterLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** What the node tells the others about itself on each heartbeat. */
export interface LocalNodeInfo {
  address: string;
  connections: number;
}

/** The cluster as the admin API and `stompede status` show it. */
export interface ClusterStatus {
  enabled: boolean;
  nodeId: string;
  nodes: { id: string; address: string; connections: number; self: boolean; lastSeen: number }[];
  /** null when clustering is off. */
  redis: { url: string; healthy: boolean; latencyMs: number | null } | null;
}

/**
 * The Redis bus that joins this node to its cluster: two connections (one
 * for commands, one for pub/sub), the node's registration kept alive by a
 * heartbeat, topic fan-out and queue streams. Redis outages are survived:
 * the connections reconnect by themselves, and `healthy` says whether
 * requests that need Redis can be served now.
 */
export class ClusterBus {
  readonly options: ClusterOptions;
  readonly topics: TopicBus;
  readonly queues: QueueStreams;
  readonly durables: DurableDirectory;
  readonly clientIds: ClientIdRegistry;
  readonly histories: HistoryStreams;
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly registry: NodeRegistry;
  private readonly log: ClusterLog;
  private readonly instance = randomBytes(8).toString('hex');
  private readonly startedAt = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private localInfo: () => LocalNodeInfo = () => ({ address: '', connections: 0 });
  private liveIds: ReadonlySet<string> = new Set();
  private latencyMs: number | null = null;
  private wasHealthy = true;
  private ticking = false;
  private closed = false;
  /** Called every heartbeat while Redis is reachable (claims, polls), with the ids of the live nodes. */
  onTick: ((live: ReadonlySet<string>) => Promise<void>) | null = null;
  /** Called when Redis is reachable again after an outage. */
  onReconnect: (() => void) | null = null;

  private constructor(options: ClusterOptions, redis: Redis, subscriber: Redis, log: ClusterLog) {
    this.options = options;
    this.redis = redis;
    this.subscriber = subscriber;
    this.log = log;
    this.registry = new NodeRegistry(redis, options.keyPrefix, options.nodeTtlMs);
    this.topics = new TopicBus(redis, subscriber, options.keyPrefix, options.nodeId);
    this.queues = new QueueStreams(redis, subscriber, options.keyPrefix, options.nodeId);
    this.clientIds = new ClientIdRegistry(
      redis,
      options.keyPrefix,
      options.nodeId,
      options.nodeTtlMs,
    );
    this.histories = new HistoryStreams(redis, options.keyPrefix, options.nodeId);
    this.durables = new DurableDirectory(redis, subscriber, options.keyPrefix, options.nodeId);
    const lost = (err?: Error): void => this.lost(err);
    redis.on('error', lost);
    redis.on('close', () => this.lost());
    subscriber.on('error', () => {});
    redis.on('ready', () => this.restored());
  }

  /**
   * Connect and register this node, or throw a ClusterError saying why not
   * (Redis unreachable, bad URL or password, node id taken).
   */
  static async open(options: ClusterOptions, log: ClusterLog): Promise<ClusterBus> {
    const redis = await connectRedis(options.url, {
      connectTimeoutMs: options.connectTimeoutMs,
      connectionName: `stompede:${options.nodeId}`,
      queueWhileDown: false,
    });
    let subscriber: Redis;
    try {
      subscriber = await connectRedis(options.url, {
        connectTimeoutMs: options.connectTimeoutMs,
        connectionName: `stompede:${options.nodeId}:pubsub`,
        queueWhileDown: true,
      });
    } catch (err) {
      redis.disconnect();
      throw err;
    }
    const bus = new ClusterBus(options, redis, subscriber, log);
    try {
      await bus.registry.register(bus.record());
    } catch (err) {
      redis.disconnect();
      subscriber.disconnect();
      throw err;
    }
    bus.timer = setInterval(() => void bus.tick(), options.heartbeatMs);
    bus.timer.unref();
    return bus;
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  /** Whether commands reach Redis now (false during an outage, until it reconnects). */
  get healthy(): boolean {
    return this.redis.status === 'ready';
  }

  /** The last failure's reason, for ERROR texts. */
  lastError = 'not connected';

  /** The URL with its password masked. */
  get url(): string {
    return maskRedisUrl(this.options.url);
  }

  setLocalInfo(provider: () => LocalNodeInfo): void {
    this.localInfo = provider;
  }

  /** Ids of the nodes alive at the last heartbeat (this one included). */
  get live(): ReadonlySet<string> {
    return this.liveIds;
  }

  private record(): NodeRecord {
    const info = this.localInfo();
    return {
      id: this.options.nodeId,
      address: info.address,
      connections: info.connections,
      startedAt: this.startedAt,
      lastSeen: Date.now(),
      instance: this.instance,
    };
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.closed || !this.healthy) return;
    this.ticking = true;
    try {
      const began = performance.now();
      await this.redis.ping();
      this.latencyMs = Math.round((performance.now() - began) * 100) / 100;
      await this.registry.refresh(this.record());
      const live = await this.registry.live();
      this.liveIds = new Set(live.map((n) => n.id));
      await this.onTick?.(this.liveIds);
    } catch (err) {
      this.lastError = (err as Error).message;
    } finally {
      this.ticking = false;
    }
  }

  private lost(err?: Error): void {
    if (err !== undefined) this.lastError = err.message;
    if (!this.wasHealthy || this.closed) return;
    this.wasHealthy = false;
    this.log.warn(
      { redis: this.url, reason: this.lastError },
      'Redis connection lost: SENDs that need Redis are refused until it is back',
    );
  }

  private restored(): void {
    if (this.wasHealthy || this.closed) return;
    this.wasHealthy = true;
    this.log.info({ redis: this.url }, 'Redis connection restored');
    void this.tick();
    this.onReconnect?.();
  }

  async status(localConnections: number): Promise<ClusterStatus> {
    let nodes: NodeRecord[] = [];
    if (this.healthy) {
      try {
        nodes = await this.registry.live();
      } catch {
        nodes = [];
      }
    }
    if (!nodes.some((n) => n.id === this.nodeId))
      nodes.push({ ...this.record(), connections: localConnections });
    return {
      enabled: true,
      nodeId: this.nodeId,
      nodes: nodes.map((n) => ({
        id: n.id,
        address: n.address,
        connections: n.id === this.nodeId ? localConnections : n.connections,
        self: n.id === this.nodeId,
        lastSeen: n.id === this.nodeId ? Date.now() : n.lastSeen,
      })),
      redis: {
        url: this.url,
        healthy: this.healthy,
        latencyMs: this.healthy ? this.latencyMs : null,
      },
    };
  }

  /** Leave the cluster: deregister (others need not wait for the TTL) and disconnect. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    if (this.healthy) {
      await this.registry.unregister(this.nodeId, this.instance).catch(() => {});
      await this.redis.quit().catch(() => {});
    } else {
      this.redis.disconnect();
    }
    this.subscriber.disconnect();
  }
}
