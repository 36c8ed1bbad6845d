import type { Redis } from 'ioredis';
import type { StoredMessage } from '../store/store.js';
import { type ClusterMessage, decodeClusterMessage, encodeClusterMessage } from './envelope.js';

/** Where remote topic messages go: the broker's topic routing on this node. */
export interface TopicSink {
  /** A message published on another node to topic `name` (a canonical name, `a.b` for `/topic/a.b`). */
  remoteTopicMessage(name: string, message: ClusterMessage): void;
  /** Bytes on a topic channel that are not a message (another version, another program): counted and logged. */
  undecodable(channel: string): void;
}

/**
 * Topic fan-out across nodes over Redis pub/sub. A publish goes out once, to
 * `<prefix>t:<name>`; each node subscribes once per topic that has local
 * subscribers (ref-counted), and once per wildcard pattern, PSUBSCRIBEd as a
 * Redis glob (`a.*` and `a.>` both become `<prefix>t:a.*`, broader than the
 * STOMP pattern; the local router then matches exactly).
 *
 * Classic PUBLISH, not sharded SPUBLISH: sharded channels cannot be matched
 * by patterns, and wildcard subscriptions must see every topic.
 *
 * Exactly once per node: a node subscribed to both `a.x` and `a.*` gets
 * one copy per matching channel and pattern, but Redis writes all copies of
 * one PUBLISH back to back on the connection, so a copy with the same
 * origin and message-id as the one just before it is the same publish and is
 * dropped. Each node then routes a message once to its own subscribers.
 */
export class TopicBus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly nodeId: string;
  private sink: TopicSink | null = null;
  private readonly channels = new Map<string, number>();
  private readonly patterns = new Map<string, number>();
  private lastNode = '';
  private lastId = '';
  published = 0;
  received = 0;

  constructor(publisher: Redis, subscriber: Redis, prefix: string, nodeId: string) {
    this.publisher = publisher;
    this.subscriber = subscriber;
    this.prefix = `${prefix}t:`;
    this.nodeId = nodeId;
    subscriber.on('messageBuffer', (channel: Buffer, bytes: Buffer) =>
      this.incoming(channel, bytes),
    );
    subscriber.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, bytes: Buffer) =>
      this.incoming(channel, bytes),
    );
  }

  setSink(sink: TopicSink): void {
    this.sink = sink;
  }

  /** Publish to the other nodes (this node has already served its own subscribers). */
  publish(name: string, message: StoredMessage, persistent: boolean): Promise<number> {
    this.published++;
    return this.publisher.publish(
      this.prefix + name,
      encodeClusterMessage(this.nodeId, message, persistent),
    );
  }

  /**
   * A local subscription to topic `name` (a STOMP pattern when `wildcard`)
   * starts. Resolves once Redis delivers that topic to this node (at once
   * when another local subscription already asked for it).
   */
  join(name: string, wildcard: boolean): Promise<unknown> | null {
    const key = wildcard ? globOf(this.prefix, name) : this.prefix + name;
    const counts = wildcard ? this.patterns : this.channels;
    const count = counts.get(key) ?? 0;
    counts.set(key, count + 1);
    if (count > 0) return null;
    return wildcard ? this.subscriber.psubscribe(key) : this.subscriber.subscribe(key);
  }

  /** A local subscription that called join() ends. */
  leave(name: string, wildcard: boolean): void {
    const key = wildcard ? globOf(this.prefix, name) : this.prefix + name;
    const counts = wildcard ? this.patterns : this.channels;
    const count = counts.get(key) ?? 0;
    if (count > 1) {
      counts.set(key, count - 1);
      return;
    }
    counts.delete(key);
    // A failed unsubscribe only means some unwanted messages arrive, which the local router ignores.
    const done = wildcard ? this.subscriber.punsubscribe(key) : this.subscriber.unsubscribe(key);
    done.catch(() => {});
  }

  /** Redis channels and patterns this node listens on for topics. */
  get subscriptions(): number {
    return this.channels.size + this.patterns.size;
  }

  private incoming(channel: Buffer, bytes: Buffer): void {
    const sink = this.sink;
    if (sink === null) return;
    const name = channel.toString('utf8');
    if (!name.startsWith(this.prefix)) return;
    const decoded = decodeClusterMessage(bytes);
    if (decoded === null) {
      sink.undecodable(name);
      return;
    }
    // Our own publish: its local subscribers were served when it was published.
    if (decoded.node === this.nodeId) return;
    if (decoded.node === this.lastNode && decoded.message.id === this.lastId) return;
    this.lastNode = decoded.node;
    this.lastId = decoded.message.id;
    this.received++;
    sink.remoteTopicMessage(name.slice(this.prefix.length), decoded);
  }
}

/** A Redis glob that matches at least every topic the STOMP pattern matches. */
export function globOf(prefix: string, pattern: string): string {
  const parts = pattern
    .split('.')
    .map((segment) =>
      segment === '*' || segment === '>' ? '*' : segment.replace(/[\\*?[\]]/g, '\\$&'),
    );
  return prefix + parts.join('.');
}
