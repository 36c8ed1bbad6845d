import type { Redis } from 'ioredis';
import type { StoredMessage } from '../store/store.js';
import { type ClusterMessage, decodeClusterMessage, encodeClusterMessage } from './envelope.js';

/** The one consumer group of every queue stream: each message goes to one node of the cluster. */
const GROUP = 'stompede';

/** A queue message as a node takes it from Redis. */
export interface StreamMessage {
  /** Stream entry id: what ACK, release and claim name. */
  id: string;
  /** The encoded message, kept to hand back (release) without encoding it again. */
  raw: Buffer;
  decoded: ClusterMessage;
  /** Deliveries made before this node took it (> 0 means the next delivery is a redelivery). */
  deliveries: number;
}

/** Tells a node that a queue it consumes has new messages (a hint; polling covers a lost one). */
export type QueueNotice = (queue: string) => void;

/**
 * Queues across nodes as Redis Streams: `<prefix>q:<name>` holds the
 * messages, one consumer group per queue, one group consumer per node. A
 * node reads (XREADGROUP) only as many as its consumers have credit for;
 * the message stays in the group's pending list, owned by that node, until
 * ACK (XACK + XDEL). Delivery counts that must survive a move between nodes
 * are kept in the hash `<prefix>qd:<name>` (entry id → deliveries), or in
 * the `d` field of an entry handed back. After each XADD a notice is
 * published on `<prefix>qn:<name>` so consuming nodes read at once.
 */
export class QueueStreams {
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly nodeId: string;
  private readonly groups = new Set<string>();
  private readonly listening = new Set<string>();
  private notice: QueueNotice | null = null;
  appended = 0;
  claimed = 0;

  constructor(redis: Redis, subscriber: Redis, prefix: string, nodeId: string) {
    this.redis = redis;
    this.subscriber = subscriber;
    this.prefix = prefix;
    this.nodeId = nodeId;
    const channelPrefix = `${prefix}qn:`;
    subscriber.on('messageBuffer', (channel: Buffer) => {
      const name = channel.toString('utf8');
      if (name.startsWith(channelPrefix)) this.notice?.(name.slice(channelPrefix.length));
    });
  }

  setNotice(notice: QueueNotice): void {
    this.notice = notice;
  }

  private key(queue: string): string {
    return `${this.prefix}q:${queue}`;
  }

  private countsKey(queue: string): string {
    return `${this.prefix}qd:${queue}`;
  }

  /** The group reads from the stream's start, so messages sent before any node consumed are not skipped. */
  private async ensureGroup(queue: string): Promise<void> {
    if (this.groups.has(queue)) return;
    try {
      await this.redis.xgroup('CREATE', this.key(queue), GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).startsWith('BUSYGROUP')) throw err;
    }
    this.groups.add(queue);
  }

  /** A Redis that lost its data (restarted without persistence) lost the groups too: create them again. */
  private async retryOnNoGroup<T>(queue: string, run: () => Promise<T>): Promise<T> {
    try {
      await this.ensureGroup(queue);
      return await run();
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOGROUP')) throw err;
      this.groups.delete(queue);
      await this.ensureGroup(queue);
      return run();
    }
  }

  /** Add a message; resolves once Redis has accepted it (the producer's RECEIPT waits for this). */
  async append(queue: string, message: StoredMessage, persistent: boolean): Promise<void> {
    const raw = encodeClusterMessage(this.nodeId, message, persistent);
    await this.retryOnNoGroup(queue, () => this.redis.xaddBuffer(this.key(queue), '*', 'm', raw));
    this.appended++;
    // The notice is a hint: polling finds the message if it is lost.
    this.redis.publish(`${this.prefix}qn:${queue}`, '').catch(() => {});
  }

  /** Start (or stop) hearing notices for a queue this node consumes. */
  listen(queue: string, on: boolean): void {
    const channel = `${this.prefix}qn:${queue}`;
    if (on === this.listening.has(queue)) return;
    if (on) {
      this.listening.add(queue);
      this.subscriber.subscribe(channel).catch(() => {});
    } else {
      this.listening.delete(queue);
      this.subscriber.unsubscribe(channel).catch(() => {});
    }
  }

  /**
   * Take up to `count` messages: new ones (`after` null), or the ones this
   * node id already holds in Redis from an earlier run, with ids after `after`
   * ('0' for all of them).
   */
  async read(queue: string, count: number, after: string | null): Promise<StreamMessage[]> {
    const own = after !== null;
    const reply = await this.retryOnNoGroup(queue, () =>
      // The typed call, not callBuffer('XREADGROUP', …): ioredis's auto-pipelining mangles call() (measured).
      this.redis.xreadgroupBuffer(
        'GROUP',
        GROUP,
        this.nodeId,
        'COUNT',
        count,
        'STREAMS',
        this.key(queue),
        after ?? '>',
      ),
    );
    const entries = entriesOf(reply);
    if (entries.length === 0) return [];
    const counts = own
      ? await this.recordedCounts(
          queue,
          entries.map((e) => e[0]),
        )
      : null;
    const out: StreamMessage[] = [];
    const gone: string[] = [];
    entries.forEach(([id, fields], i) => {
      const message = messageOf(id, fields, counts === null ? 0 : Math.max(counts[i]!, 1));
      if (message === null) gone.push(id);
      else out.push(message);
    });
    if (gone.length > 0) await this.ack(queue, gone);
    return out;
  }

  private async recordedCounts(queue: string, ids: string[]): Promise<number[]> {
    const values = await this.redis.hmget(this.countsKey(queue), ...ids);
    return values.map((v) => (v === null ? 0 : Number(v) || 0));
  }

  /** Remember how often a message was delivered, so a node that claims it after a crash knows. */
  recordDeliveries(queue: string, id: string, deliveries: number): Promise<unknown> {
    return this.redis.hset(this.countsKey(queue), id, deliveries);
  }

  /** Done with these messages for good (acknowledged, or dead-lettered elsewhere). */
  async ack(queue: string, ids: string[]): Promise<void> {
    const key = this.key(queue);
    await this.redis
      .multi()
      .xack(key, GROUP, ...ids)
      .xdel(key, ...ids)
      .hdel(this.countsKey(queue), ...ids)
      .exec();
  }

  /** Delete a queue's stream and delivery counts (a durable subscription removed for good). */
  async destroy(queue: string): Promise<void> {
    this.groups.delete(queue);
    await this.redis.del(this.key(queue), this.countsKey(queue));
  }

  /**
   * Hand messages back to the cluster (this node has no consumer left for
   * them): each goes to the end of the stream as a new entry carrying its
   * delivery count, and the old one is acknowledged, in one transaction.
   */
  async release(
    queue: string,
    items: { id: string; raw: Buffer; deliveries: number }[],
  ): Promise<void> {
    if (items.length === 0) return;
    const key = this.key(queue);
    const ids = items.map((i) => i.id);
    const tx = this.redis.multi();
    for (const item of items) tx.xadd(key, '*', 'm', item.raw, 'd', String(item.deliveries));
    tx.xack(key, GROUP, ...ids)
      .xdel(key, ...ids)
      .hdel(this.countsKey(queue), ...ids);
    await tx.exec();
    this.redis.publish(`${this.prefix}qn:${queue}`, '').catch(() => {});
  }

  /**
   * Take over messages of dead nodes (group consumers not in `live`) that
   * have been idle at least `minIdleMs`, up to `count`. XAUTOCLAIM is not
   * used: it cannot tell a dead node from a live one whose consumer is slow,
   * and claiming from a live node would deliver its messages twice.
   * Consumers of dead nodes left with nothing pending are removed.
   */
  async claimFromDead(
    queue: string,
    live: ReadonlySet<string>,
    minIdleMs: number,
    count: number,
  ): Promise<StreamMessage[]> {
    const key = this.key(queue);
    await this.ensureGroup(queue);
    const consumers = parseConsumers(await this.redis.xinfo('CONSUMERS', key, GROUP));
    const out: StreamMessage[] = [];
    for (const consumer of consumers) {
      if (consumer.name === this.nodeId || live.has(consumer.name)) continue;
      if (consumer.pending === 0) {
        await this.redis.xgroup('DELCONSUMER', key, GROUP, consumer.name);
        continue;
      }
      if (out.length >= count) break;
      const pending = (await this.redis.xpending(
        key,
        GROUP,
        'IDLE',
        minIdleMs,
        '-',
        '+',
        count - out.length,
        consumer.name,
      )) as [string, string, number, number][];
      if (pending.length === 0) continue;
      const ids = pending.map((p) => p[0]);
      // ioredis has xclaimBuffer (binary bodies intact) but does not declare it.
      const reply = await (this.redis as unknown as BufferClaim).xclaimBuffer(
        key,
        GROUP,
        this.nodeId,
        minIdleMs,
        ...ids,
      );
      const counts = await this.recordedCounts(queue, ids);
      const timesRead = new Map(pending.map((p, i) => [p[0], Math.max(p[3], counts[i]!, 1)]));
      const emptied: string[] = [];
      for (const [id, fields] of claimedEntries(reply)) {
        const message = messageOf(id, fields, timesRead.get(id) ?? 1);
        if (message === null) emptied.push(id);
        else out.push(message);
      }
      // Claimed but deleted meanwhile (Redis < 7 returns them empty): acknowledge them away. Ids not
      // returned at all were claimed by another node first, and are its to deliver.
      if (emptied.length > 0) await this.ack(queue, emptied);
    }
    this.claimed += out.length;
    return out;
  }
}

type RawEntry = [string, Buffer[] | null];

interface BufferClaim {
  xclaimBuffer(...args: (string | number)[]): Promise<unknown>;
}

/**
 * XREADGROUP's reply for one stream: `[[key, entries]]` over RESP2, or the
 * map `{key: entries}` over RESP3, which ioredis flattens to `[key, entries]`.
 */
function entriesOf(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const pair = (Buffer.isBuffer(reply[0]) ? reply : reply[0]) as [
    Buffer,
    [Buffer, Buffer[] | null][],
  ];
  const entries = pair[1];
  if (!Array.isArray(entries)) return [];
  return entries.map(([id, fields]) => [id.toString('utf8'), fields]);
}

function claimedEntries(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply)) return [];
  const out: RawEntry[] = [];
  for (const item of reply as ([Buffer, Buffer[] | null] | null)[]) {
    if (item === null || !Array.isArray(item)) continue;
    out.push([item[0].toString('utf8'), item[1]]);
  }
  return out;
}

/** An entry's `m` (message) and optional `d` (deliveries before it was handed back) fields. */
function messageOf(id: string, fields: Buffer[] | null, known: number): StreamMessage | null {
  if (fields === null) return null;
  let raw: Buffer | null = null;
  let deliveries = known;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const field = fields[i]!.toString('utf8');
    if (field === 'm') raw = fields[i + 1]!;
    else if (field === 'd')
      deliveries = Math.max(deliveries, Number(fields[i + 1]!.toString()) || 0);
  }
  if (raw === null) return null;
  const decoded = decodeClusterMessage(raw);
  if (decoded === null) return null;
  return { id, raw, decoded, deliveries };
}

function parseConsumers(reply: unknown): { name: string; pending: number }[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((fields) => {
    const record: Record<string, unknown> = {};
    const list = fields as unknown[];
    for (let i = 0; i + 1 < list.length; i += 2) record[String(list[i])] = list[i + 1];
    return { name: String(record.name), pending: Number(record.pending) || 0 };
  });
}
