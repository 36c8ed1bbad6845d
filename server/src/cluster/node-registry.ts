import type { Redis } from 'ioredis';
import { ClusterError } from './errors.js';

/** What a node says about itself in its registration (refreshed every heartbeat). */
export interface NodeRecord {
  id: string;
  /** Where clients reach it (`host:port` of its STOMP listener), '' before it listens. */
  address: string;
  connections: number;
  startedAt: number;
  /** When it last refreshed its registration, ms since the epoch. */
  lastSeen: number;
  /** Distinguishes two processes claiming the same id (the second refuses to start). */
  instance: string;
}

/**
 * Who is in the cluster: one key per node, `<prefix>node:<id>`, that expires
 * unless its node refreshes it, plus a set of every id seen so that listing
 * needs no SCAN. A node whose key is gone is dead: its queue messages may be
 * claimed.
 */
export class NodeRegistry {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttlMs: number;

  constructor(redis: Redis, prefix: string, ttlMs: number) {
    this.redis = redis;
    this.prefix = prefix;
    this.ttlMs = ttlMs;
  }

  private key(id: string): string {
    return `${this.prefix}node:${id}`;
  }

  private get setKey(): string {
    return `${this.prefix}nodes`;
  }

  /** Take the id, or refuse: another live node holds it (its key has not expired). */
  async register(record: NodeRecord): Promise<void> {
    const taken = await this.redis.set(
      this.key(record.id),
      JSON.stringify(record),
      'PX',
      this.ttlMs,
      'NX',
    );
    if (taken === null) {
      const holder = parseRecord(await this.redis.get(this.key(record.id)));
      const where = holder?.address ? ` at ${holder.address}` : '';
      const seen = holder ? `, last seen ${new Date(holder.lastSeen).toISOString()}` : '';
      throw new ClusterError(
        'node-id-taken',
        `node id ${record.id} is already in use by a live node${where}${seen}`,
        `Two nodes of one cluster cannot share an id. Give this one another (cluster.nodeId), or, if that node ` +
          `has just died, start again after ${Math.ceil(this.ttlMs / 1000)} s (cluster.nodeTtlMs), when its registration expires.`,
      );
    }
    await this.redis.sadd(this.setKey, record.id);
  }

  /**
   * Refresh the registration. Only overwrites a key this process owns (or an
   * expired one, after an outage): never another instance's.
   */
  async refresh(record: NodeRecord): Promise<void> {
    const current = parseRecord(await this.redis.get(this.key(record.id)));
    if (current !== null && current.instance !== record.instance) return;
    await this.redis
      .multi()
      .set(this.key(record.id), JSON.stringify(record), 'PX', this.ttlMs)
      .sadd(this.setKey, record.id)
      .exec();
  }

  /** Every live node; ids whose registration expired are dropped from the set. */
  async live(): Promise<NodeRecord[]> {
    const ids = await this.redis.smembers(this.setKey);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.key(id)));
    const out: NodeRecord[] = [];
    const dead: string[] = [];
    ids.forEach((id, i) => {
      const record = parseRecord(values[i] ?? null);
      if (record === null) dead.push(id);
      else out.push(record);
    });
    if (dead.length > 0) await this.redis.srem(this.setKey, ...dead);
    out.sort((a, b) => a.id.localeCompare(b.id));
    return out;
  }

  /** Leave on a clean shutdown (others need not wait for the key to expire). */
  async unregister(id: string, instance: string): Promise<void> {
    const current = parseRecord(await this.redis.get(this.key(id)));
    if (current !== null && current.instance !== instance) return;
    await this.redis.multi().del(this.key(id)).srem(this.setKey, id).exec();
  }
}

function parseRecord(value: string | null): NodeRecord | null {
  if (value === null) return null;
  try {
    return JSON.parse(value) as NodeRecord;
  } catch {
    return null;
  }
}
