import { encodeHeaderLines } from '../protocol/encoder.js';
import type { FrameHeaders, StompVersion } from '../protocol/frame.js';
import type { TopicStats } from './topic-stats.js';

/**
 * One published message. Shared by every subscriber and queue it reaches:
 * it never changes after publish. What a queue knows about its copy (how
 * often it was delivered, whether it is stored yet) lives in a QueueEntry.
 */
export interface Message {
  /** Broker-assigned `message-id`, unique across runs. */
  readonly id: string;
  /** Global publish order; a requeued message goes back in this order. */
  readonly seq: number;
  /** Headers every delivery carries: destination, message-id and the application headers of the SEND. */
  readonly headers: FrameHeaders;
  readonly body: Buffer;
  /** `persistent:true` on the SEND: stored before it is acknowledged (queues and durable subscriptions). */
  readonly persistent: boolean;
  /** 0–9, higher first (`priority` header, default 4). */
  readonly priority: number;
  /** Expiry in ms since the epoch (`expires` header); 0 = never. */
  readonly expires: number;
  /** Publish time, ms since the epoch. */
  readonly timestamp: number;
  /** `JMSXGroupID`: messages of one group go to one consumer while it lives. */
  readonly groupId: string | null;
  /** The connection that published it (for `activemq.noLocal`); '' when recovered or broker-made. */
  origin: string;
  /** The shared header lines, encoded once per protocol version on first use. */
  encoded: [Buffer | undefined, Buffer | undefined, Buffer | undefined];
  /** The counters of the topic it was published to (so a subscriber's drop is counted there); null otherwise. */
  topic: TopicStats | null;
}

export const DEFAULT_PRIORITY = 4;

export interface MessageOptions {
  persistent: boolean;
  priority: number;
  expires: number;
  timestamp: number;
}

const VERSION_SLOT: Record<StompVersion, 0 | 1 | 2> = { '1.0': 0, '1.1': 1, '1.2': 2 };

/** Header lines shared by every delivery of `message` in `version`, encoded once (fan-out writes them N times). */
export function sharedHeaderLines(message: Message, version: StompVersion): Buffer {
  const slot = VERSION_SLOT[version];
  let lines = message.encoded[slot];
  if (lines === undefined) {
    lines = encodeHeaderLines(message.headers, version);
    message.encoded[slot] = lines;
  }
  return lines;
}

export function createMessage(
  id: string,
  seq: number,
  headers: FrameHeaders,
  body: Buffer,
  options: MessageOptions = {
    persistent: false,
    priority: DEFAULT_PRIORITY,
    expires: 0,
    timestamp: 0,
  },
): Message {
  return {
    id,
    seq,
    headers,
    body,
    persistent: options.persistent,
    priority: options.priority,
    expires: options.expires,
    timestamp: options.timestamp,
    groupId: headers.JMSXGroupID ?? null,
    origin: '',
    encoded: [undefined, undefined, undefined],
    topic: null,
  };
}

/**
 * A queue's hold on one message: how often it was handed out, whether its
 * durable copy is committed, and when it may next be offered.
 */
export class QueueEntry {
  readonly message: Message;
  /** Times handed to a consumer so far (a redelivery is any delivery after the first). */
  deliveries: number;
  /** False while a persistent message's store write is still being committed: it is not offered until then. */
  stored: boolean;
  /** Whether a durable copy exists (to remove on ack). */
  persisted: boolean;
  /** Not offered before this time (redelivery delay), ms since the epoch. */
  notBefore = 0;
  /** Why its last delivery failed: 'nack' or 'consumer-closed'. */
  lastFailure = '';
  /** The queue holding it (a wildcard subscription consumes from several and routes acks back by this). */
  owner: object | null = null;

  /** When it expires here, ms since the epoch (0 = never): the message's own expiry, or sooner under a queue TTL. */
  expiresAt: number;

  constructor(message: Message, deliveries = 0) {
    this.message = message;
    this.expiresAt = message.expires;
    this.deliveries = deliveries;
    this.stored = true;
    this.persisted = false;
  }

  get seq(): number {
    return this.message.seq;
  }
}
