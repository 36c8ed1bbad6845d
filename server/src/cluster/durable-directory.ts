import type { Redis } from 'ioredis';
import type { DurableSubscriptionRecord } from '../store/store.js';

/** A change to the cluster's durable subscriptions, as another node announced it. */
export type DurableChange =
  | { op: 'set'; record: DurableSubscriptionRecord }
  | { op: 'delete'; key: string };

/**
 * The cluster's durable subscriptions, in Redis: one hash per subscription,
 * `<prefix>ds:<key>` (clientId, name, destination, selector, owner, queue,
 * createdAt), and the set `<prefix>ds` of their keys, so a node starting
 * loads them all without SCAN. Every creation and deletion is announced on
 * `<prefix>dn` so that every node knows, at any time, which subscriptions a
 * topic publish must be appended to. (Their messages live in queue streams,
 * see QueueStreams.)
 */
export class DurableDirectory {
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly nodeId: string;
  private readonly channel: string;
  private onChange: ((change: DurableChange) => void) | null = null;

  constructor(redis: Redis, subscriber: Redis, prefix: string, nodeId: string) {
    this.redis = redis;
    this.subscriber = subscriber;
    this.prefix = prefix;
    this.nodeId = nodeId;
    this.channel = `${prefix}dn`;
    subscriber.on('messageBuffer', (channel: Buffer, bytes: Buffer) => {
      if (this.onChange === null || channel.toString('utf8') !== this.channel) return;
      const change = parseChange(bytes.toString('utf8'), this.nodeId);
      if (change !== null) this.onChange(change);
    });
  }

  private key(key: string): string {
    return `${this.prefix}ds:${key}`;
  }

  /**
   * Hear other nodes' changes from now on, then read every subscription
   * (in that order, so none created meanwhile is missed; applying a change
   * twice is harmless).
   */
  async open(onChange: (change: DurableChange) => void): Promise<DurableSubscriptionRecord[]> {
    this.onChange = onChange;
    await this.subscriber.subscribe(this.channel);
    const keys = await this.redis.smembers(`${this.prefix}ds`);
    if (keys.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.hgetall(this.key(key));
    const replies = (await pipeline.exec()) ?? [];
    const out: DurableSubscriptionRecord[] = [];
    for (const [i, [err, fields]] of replies.entries()) {
      const record = err === null ? recordOf(keys[i]!, fields as Record<string, string>) : null;
      if (record !== null) out.push(record);
    }
    return out;
  }

  /** Create (or replace) a subscription and tell the other nodes. */
  async save(record: DurableSubscriptionRecord): Promise<void> {
    await this.redis
      .multi()
      .del(this.key(record.key))
      .hset(this.key(record.key), {
        clientId: record.clientId,
        name: record.name,
        destination: record.destination,
        selector: record.selector,
        owner: record.owner ?? '',
        queue: record.queue,
        createdAt: String(record.createdAt),
      })
      .sadd(`${this.prefix}ds`, record.key)
      .publish(this.channel, JSON.stringify({ n: this.nodeId, op: 'set', record }))
      .exec();
  }

  /** Delete a subscription (its stream is deleted by the caller) and tell the other nodes. */
  async remove(key: string): Promise<void> {
    await this.redis
      .multi()
      .del(this.key(key))
      .srem(`${this.prefix}ds`, key)
      .publish(this.channel, JSON.stringify({ n: this.nodeId, op: 'delete', key }))
      .exec();
  }
}

function recordOf(
  key: string,
  fields: Record<string, string> | null,
): DurableSubscriptionRecord | null {
  if (fields === null || fields.destination === undefined || fields.clientId === undefined)
    return null;
  return {
    key,
    clientId: fields.clientId,
    name: fields.name ?? '',
    destination: fields.destination,
    selector: fields.selector ?? '',
    queue: fields.queue ?? '',
    createdAt: Number(fields.createdAt) || 0,
    owner: fields.owner ?? '',
  };
}

/** A change announced by another node (this node's own are already applied); null for anything else. */
function parseChange(text: string, self: string): DurableChange | null {
  let parsed: { n?: unknown; op?: unknown; key?: unknown; record?: DurableSubscriptionRecord };
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (parsed.n === self) return null;
  if (parsed.op === 'delete' && typeof parsed.key === 'string')
    return { op: 'delete', key: parsed.key };
  const record = parsed.record;
  if (
    parsed.op === 'set' &&
    typeof record?.key === 'string' &&
    typeof record.destination === 'string'
  )
    return { op: 'set', record };
  return null;
}
