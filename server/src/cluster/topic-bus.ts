import type { Redis } from 'ioredis';
import type { StoredMessage } from '../store/store.js';
import {
  type ClusterMessage,
  decodeBatch,
  decodeClusterMessage,
  encodeBatch,
  encodeClusterMessage,
} from './envelope.js';

/** Where remote topic messages go: the broker's topic routing on this node. */
export interface TopicSink {
  /** A message published on another node to topic `name` (a canonical name, `a.b` for `/topic/a.b`). */
  remoteTopicMessage(name: string, message: ClusterMessage): void;
  /**
   * A reply another node could not place: sent to `/reply-queue/NAME` (or
   * `/reply-topic/NAME` when `topic`) whose owner may be connected here.
   */
  remoteReply(name: string, topic: boolean, message: ClusterMessage): void;
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
  private readonly replyPrefix: string;
  private readonly nodeId: string;
  private sink: TopicSink | null = null;
  private readonly channels = new Map<string, number>();
  private readonly patterns = new Map<string, number>();
  /** Messages waiting for the end of this turn, by channel. */
  private readonly batches = new Map<string, Buffer[]>();
  private flushing: Promise<void> | null = null;
  private lastNode = '';
  private lastId = '';
  published = 0;
  received = 0;

  constructor(publisher: Redis, subscriber: Redis, prefix: string, nodeId: string) {
    this.publisher = publisher;
    this.subscriber = subscriber;
    this.prefix = `${prefix}t:`;
    this.replyPrefix = `${prefix}reply:`;
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

  /**
   * Publish to the other nodes (this node has already served its own
   * subscribers). Messages to one topic within one turn of the event loop
   * go out as one PUBLISH: measured, a PUBLISH (and its reply promise) per
   * message made the cross-node path several times dearer than local
   * fan-out. Returns the promise of the batch when this message started
   * one (settles once Redis has taken the batch), else null.
   */
  publish(name: string, message: StoredMessage, persistent: boolean): Promise<void> | null {
    this.published++;
    const encoded = encodeClusterMessage(this.nodeId, message, persistent);
    const channel = this.prefix + name;
    const batch = this.batches.get(channel);
    if (batch !== undefined) {
      batch.push(encoded);
      return null;
    }
    this.batches.set(channel, [encoded]);
    if (this.flushing !== null) return null;
    this.flushing = new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.flushing = null;
        const sent: Promise<number>[] = [];
        for (const [target, parts] of this.batches) {
          sent.push(this.publisher.publish(target, encodeBatch(parts)));
        }
        this.batches.clear();
        Promise.all(sent).then(() => resolve(), reject);
      });
    });
    return this.flushing;
  }

  /**
   * Send a reply to whichever node owns the reply destination (not this
   * one): every node hears it, the owner takes it. Replies are rare next to
   * topic traffic, so a broadcast beats keeping a cluster-wide name index.
   */
  publishReply(
    name: string,
    topic: boolean,
    message: StoredMessage,
    persistent: boolean,
  ): Promise<number> {
    return this.publisher.publish(
      `${this.replyPrefix}${topic ? 't' : 'q'}:${name}`,
      encodeClusterMessage(this.nodeId, message, persistent),
    );
  }

  /** Hear replies for the temp destinations of this node's clients (once, at start). */
  listenForReplies(): Promise<unknown> {
    return this.subscriber.psubscribe(`${this.replyPrefix}*`);
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
    const reply = name.startsWith(this.replyPrefix);
    if (!reply && !name.startsWith(this.prefix)) return;
    if (reply) {
      const decoded = decodeClusterMessage(bytes);
      if (decoded === null) sink.undecodable(name);
      else if (decoded.node !== this.nodeId) {
        const rest = name.slice(this.replyPrefix.length);
        sink.remoteReply(rest.slice(2), rest.startsWith('t:'), decoded);
      }
      return;
    }
    const batch = decodeBatch(bytes);
    if (batch === null) {
      sink.undecodable(name);
      return;
    }
    const first = batch[0]!;
    // Our own publish: its local subscribers were served when it was published.
    if (first.node === this.nodeId) return;
    if (first.node === this.lastNode && first.message.id === this.lastId) return;
    this.lastNode = first.node;
    this.lastId = first.message.id;
    const topic = name.slice(this.prefix.length);
    for (const message of batch) {
      this.received++;
      sink.remoteTopicMessage(topic, message);
    }
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
