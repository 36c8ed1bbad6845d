import type { Redis } from 'ioredis';
import type { StoredMessage } from '../store/store.js';
import { type ClusterMessage, decodeClusterMessage, encodeClusterMessage } from './envelope.js';

/** A history entry as read back: its stream id orders it among every topic's entries. */
export interface HistoryEntry {
  /** `<ms>-<n>`: Redis's time of the XADD, then a counter. */
  id: string;
  decoded: ClusterMessage;
}

/**
 * Topic history shared by the cluster: a capped stream per topic,
 * `<prefix>h:<topic>` (XADD MAXLEN ~ the retention's count, XTRIM MINID ~
 * its age), appended by the node that publishes, and the set `<prefix>hs`
 * of topics that have one. Nodes keep histories in memory from every
 * node's publishes while they run; the streams give a node that starts
 * what was published before.
 */
export class HistoryStreams {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly nodeId: string;
  /** Topics this process has added to the set already (one SADD per topic, not per message). */
  private readonly listed = new Set<string>();

  constructor(redis: Redis, prefix: string, nodeId: string) {
    this.redis = redis;
    this.prefix = prefix;
    this.nodeId = nodeId;
  }

  private key(topic: string): string {
    return `${this.prefix}h:${topic}`;
  }

  /**
   * Keep a published message. Count trimming is approximate (`~`, whole
   * stream nodes): the readers apply the exact limits.
   */
  async append(
    topic: string,
    message: StoredMessage,
    persistent: boolean,
    maxMessages: number,
    maxAgeMs: number,
  ): Promise<void> {
    const raw = encodeClusterMessage(this.nodeId, message, persistent);
    const key = this.key(topic);
    const writes: Promise<unknown>[] = [
      maxMessages > 0
        ? this.redis.xadd(key, 'MAXLEN', '~', maxMessages, '*', 'm', raw)
        : this.redis.xadd(key, '*', 'm', raw),
    ];
    if (maxAgeMs > 0) writes.push(this.redis.xtrim(key, 'MINID', '~', Date.now() - maxAgeMs));
    if (!this.listed.has(topic)) {
      this.listed.add(topic);
      writes.push(this.redis.sadd(`${this.prefix}hs`, topic));
    }
    await Promise.all(writes);
  }

  /** Every topic that has a history stream. */
  topics(): Promise<string[]> {
    return this.redis.smembers(`${this.prefix}hs`);
  }

  /** The newest `count` entries of a topic's history (all of them for 0), oldest first. */
  async read(topic: string, count: number): Promise<HistoryEntry[]> {
    const reply = (
      count > 0
        ? await this.redis.xrevrangeBuffer(this.key(topic), '+', '-', 'COUNT', count)
        : await this.redis.xrevrangeBuffer(this.key(topic), '+', '-')
    ) as [Buffer, Buffer[]][];
    const out: HistoryEntry[] = [];
    for (let i = reply.length - 1; i >= 0; i--) {
      const [id, fields] = reply[i]!;
      for (let f = 0; f + 1 < fields.length; f += 2) {
        if (fields[f]!.toString('utf8') !== 'm') continue;
        const decoded = decodeClusterMessage(fields[f + 1]!);
        if (decoded !== null) out.push({ id: id.toString('utf8'), decoded });
      }
    }
    return out;
  }

  /** Forget a topic's history (admin delete). */
  async remove(topic: string): Promise<void> {
    this.listed.delete(topic);
    await this.redis.multi().del(this.key(topic)).srem(`${this.prefix}hs`, topic).exec();
  }
}
