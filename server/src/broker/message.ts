import { isUtf8 } from 'node:buffer';
import { encodeMessageFrame, encodeMessageTailOf, joinTextFrame } from '../protocol/encoder.js';
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
  /**
   * The wire bytes every delivery shares (shared header lines, content-length,
   * blank line, body, NUL), encoded once per protocol version on first use:
   * a fan-out to N subscribers writes them N times but builds them once.
   */
  tail10: Buffer | null;
  tail11: Buffer | null;
  tail12: Buffer | null;
  /**
   * The last whole frame built from this message, and the per-delivery head
   * text and version it was built for: subscribers whose frames are
   * byte-identical (same subscription id, auto ack — e.g. every
   * @stomp/stompjs client's first subscription is `sub-0`) share one Buffer.
   */
  lastFrame: Buffer | null;
  /** Whether the body is valid UTF-8 (then every frame of it is: headers always are), checked once; undefined until asked. */
  bodyUtf8: boolean | undefined;
  lastFrameHead: string;
  lastFrameVersion: StompVersion | '';
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

/** The wire bytes shared by every delivery of `message` in `version` (see Message.tail12), built once. */
export function messageTail(message: Message, version: StompVersion): Buffer {
  let tail =
    version === '1.2' ? message.tail12 : version === '1.1' ? message.tail11 : message.tail10;
  if (tail === null) {
    tail = encodeMessageTailOf(message.headers, message.body, version);
    if (version === '1.2') message.tail12 = tail;
    else if (version === '1.1') message.tail11 = tail;
    else message.tail10 = tail;
  }
  return tail;
}

/**
 * A MESSAGE frame of `message` with its own head (`MESSAGE\n` + per-delivery
 * lines). A topic message goes to many subscribers: its shared tail is built
 * once and joined to each head. Any other (a queue's, usually delivered once)
 * is written in one piece, with no tail kept.
 */
export function messageFrame(message: Message, version: StompVersion, head: string): Buffer {
  if (message.topic !== null) return joinTextFrame(head, messageTail(message, version));
  const tail =
    version === '1.2' ? message.tail12 : version === '1.1' ? message.tail11 : message.tail10;
  if (tail !== null) return joinTextFrame(head, tail);
  return encodeMessageFrame(head, message.headers, message.body, version);
}

/**
 * Whether every MESSAGE frame of `message` is valid UTF-8, which WebSocket
 * transports need to pick a text or binary message. Header lines come from
 * strings and are always UTF-8, so only the body decides: checked once per
 * message rather than once per delivery.
 */
export function messageIsUtf8(message: Message): boolean {
  let utf8 = message.bodyUtf8;
  if (utf8 === undefined) {
    utf8 = isUtf8(message.body);
    message.bodyUtf8 = utf8;
  }
  return utf8;
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
    tail10: null,
    tail11: null,
    tail12: null,
    lastFrame: null,
    bodyUtf8: undefined,
    lastFrameHead: '',
    lastFrameVersion: '',
    topic: null,
  };
}

/**
 * A queue's hold on one message: how often it was handed out, whether its
 * durable copy is committed, and when it may next be offered.
 */
/** Reads a recovered queue message back from the store when it is first needed (see QueueEntry.recovered). */
export interface MessageLoader {
  load(seq: number): Message;
}

export class QueueEntry {
  /** Publish order (the message's seq), known without loading the message. Never changes. */
  seq: number;
  /** The message's priority (0–9), known without loading it. Never changes. */
  priority: number;
  private current: Message | null;
  /** Set for an entry recovered as an index only: the message is read on first use. */
  private loader: MessageLoader | null = null;
  /** Times handed to a consumer so far (a redelivery is any delivery after the first). */
  deliveries: number;
  /** False while a persistent message's store write is still being committed: it is not offered until then. */
  stored: boolean;
  /** Whether a durable copy exists (to remove on ack). */
  persisted: boolean;
  /** Whether the store may hold a delivery count for it: only entries restored from the store can. */
  deliveryRecord = false;
  /** Not offered before this time (redelivery delay), ms since the epoch. */
  notBefore = 0;
  /** Why its last delivery failed: 'nack' or 'consumer-closed'. */
  lastFailure = '';
  /** The queue holding it (a wildcard subscription consumes from several and routes acks back by this). */
  owner: object | null = null;

  /** When it expires here, ms since the epoch (0 = never): the message's own expiry, or sooner under a queue TTL. */
  expiresAt: number;

  /** `message` is null only for QueueEntry.recovered. */
  constructor(message: Message | null, deliveries = 0) {
    this.current = message;
    this.seq = message === null ? 0 : message.seq;
    this.priority = message === null ? DEFAULT_PRIORITY : message.priority;
    this.expiresAt = message === null ? 0 : message.expires;
    this.deliveries = deliveries;
    this.stored = true;
    this.persisted = false;
  }

  /**
   * An entry recovered at start-up from the store's index (seq, priority,
   * expiry, delivery count) without its message, which `loader` reads when
   * it is first dispatched or browsed: a million stored messages cost a
   * million small entries, not a million decoded messages (issue 9).
   */
  static recovered(
    seq: number,
    priority: number,
    expires: number,
    deliveries: number,
    loader: MessageLoader,
  ): QueueEntry {
    const entry = new QueueEntry(null, deliveries);
    entry.seq = seq;
    entry.priority = priority;
    entry.expiresAt = expires;
    entry.loader = loader;
    entry.persisted = true;
    return entry;
  }

  get message(): Message {
    let message = this.current;
    if (message === null) {
      message = this.loader!.load(this.seq);
      this.current = message;
      this.loader = null;
    }
    return message;
  }
}
