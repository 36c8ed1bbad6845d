import type { Message } from './message.js';

/** Which retained messages a SUBSCRIBE asks for before live delivery. */
export type HistoryRequest =
  | { kind: 'last'; count: number }
  | { kind: 'since'; timestamp: number }
  | { kind: 'after'; messageId: string }
  | { kind: 'all' };

export interface HistoryRetention {
  /** Keep at most this many messages (0 = no count limit). */
  maxMessages: number;
  /** Keep messages younger than this, ms (0 = no age limit). */
  maxAgeMs: number;
}

export function retains(retention: HistoryRetention): boolean {
  return retention.maxMessages > 0 || retention.maxAgeMs > 0;
}

/**
 * The recent messages of one topic, for live log tailing: replayed to a new
 * subscriber before live delivery. Replay and attach happen in one turn of
 * the event loop, so there is no gap and no duplicate at the seam.
 */
export class TopicHistory {
  private messages: Message[] = [];
  private head = 0;
  /** Ids adopted from the cluster's stream whose live copy may still arrive. */
  private readonly inFlight = new Set<string>();
  readonly retention: HistoryRetention;
  /** Told of each message dropped for the count limit (the broker counts those of its global ceiling). */
  private readonly onCountTrim: (() => void) | undefined;

  constructor(retention: HistoryRetention, onCountTrim?: () => void) {
    this.retention = retention;
    this.onCountTrim = onCountTrim;
  }

  get size(): number {
    return this.messages.length - this.head;
  }

  /** Keep `message`; returns the highest seq dropped by retention (0 if none), for the store to trim. */
  append(message: Message, now: number): number {
    this.messages.push(message);
    return this.trim(now);
  }

  /** Drop what retention no longer allows; returns the highest dropped seq (0 if none). */
  trim(now: number): number {
    let dropped = 0;
    const { maxMessages, maxAgeMs } = this.retention;
    while (this.size > 0) {
      const oldest = this.messages[this.head]!;
      const tooMany = maxMessages > 0 && this.size > maxMessages;
      const tooOld = maxAgeMs > 0 && oldest.timestamp < now - maxAgeMs;
      if (!tooMany && !tooOld) break;
      if (tooMany && !tooOld) this.onCountTrim?.();
      dropped = oldest.seq;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.messages.length) {
      this.messages = this.messages.slice(this.head);
      this.head = 0;
    }
    return dropped;
  }

  /**
   * Put messages published before this history started (read from the
   * cluster's stream) in front of what it has heard live. The stream is
   * written before the live PUBLISH goes out, so it can be ahead of what
   * this node has heard. Each node publishes in order, so per origin (the
   * message-id's prefix): stream messages after the last one heard live
   * are on their way live and are left to arrive that way; ones heard live
   * keep their live copy. For an origin with nothing heard live yet, the
   * stream's messages are adopted and remembered, so that a live copy still
   * in flight is not kept twice (see `heardBefore`); an origin heard only
   * after the read sent every message the stream holds before it listened.
   */
  adoptOlder(older: readonly Message[], now: number): void {
    const kept = this.messages.slice(this.head);
    const heard = new Set(kept.map((m) => m.id));
    const originsHeard = new Set(kept.map((m) => originOf(m.id)));
    const lastHeard = new Map<string, number>();
    for (let i = 0; i < older.length; i++) {
      if (heard.has(older[i]!.id)) lastHeard.set(originOf(older[i]!.id), i);
    }
    const adopted: Message[] = [];
    for (let i = 0; i < older.length; i++) {
      const message = older[i]!;
      if (heard.has(message.id)) continue;
      const last = lastHeard.get(originOf(message.id));
      if (last !== undefined && i > last) continue;
      if (!originsHeard.has(originOf(message.id))) this.inFlight.add(message.id);
      adopted.push(message);
    }
    this.messages = adopted.concat(kept);
    this.head = 0;
    this.trim(now);
  }

  /**
   * Whether a message heard live was already adopted from the cluster's
   * stream by `adoptOlder` (so this history holds it): the caller does not
   * keep it again. Each id answers true once.
   */
  heardBefore(messageId: string): boolean {
    return this.inFlight.size > 0 && this.inFlight.delete(messageId);
  }

  /** Stop remembering stream messages whose live copy never came (they were heard before this node listened). */
  forgetInFlight(): void {
    this.inFlight.clear();
  }

  /** Forget every message (the cluster's shared history replaces what this node kept alone). */
  clear(): void {
    this.messages = [];
    this.head = 0;
  }

  /** The retained message with this id, if still kept. */
  find(messageId: string): Message | undefined {
    for (let i = this.messages.length - 1; i >= this.head; i--) {
      if (this.messages[i]!.id === messageId) return this.messages[i];
    }
    return undefined;
  }

  /** The retained messages a request selects, oldest first. */
  select(request: HistoryRequest, now: number): Message[] {
    this.trim(now);
    const live = this.messages.slice(this.head);
    switch (request.kind) {
      case 'all':
        return live;
      case 'last':
        return request.count <= 0 ? [] : live.slice(-request.count);
      case 'since':
        return live.filter((m) => m.timestamp >= request.timestamp);
      case 'after': {
        const index = live.findIndex((m) => m.id === request.messageId);
        // An id no longer retained (or never seen): everything retained is newer than the client's last.
        return index < 0 ? live : live.slice(index + 1);
      }
    }
  }
}

/**
 * The selection over several topics' histories (a wildcard subscription such
 * as `/topic/logs.>`), merged in publish order.
 */
export function selectAcross(
  histories: readonly TopicHistory[],
  request: HistoryRequest,
  now: number,
): Message[] {
  if (histories.length === 1) return histories[0]!.select(request, now);
  if (request.kind === 'after') {
    let afterSeq = -1;
    for (const history of histories) {
      const found = history.find(request.messageId);
      if (found !== undefined) afterSeq = found.seq;
    }
    return merge(histories.map((h) => h.select({ kind: 'all' }, now))).filter(
      (m) => m.seq > afterSeq,
    );
  }
  const merged = merge(histories.map((h) => h.select(request, now)));
  return request.kind === 'last' ? merged.slice(-request.count) : merged;
}

function merge(parts: Message[][]): Message[] {
  return parts.flat().sort((a, b) => a.seq - b.seq);
}

/** The broker that published a message: its message-ids are `<broker prefix>-<counter>`. */
function originOf(messageId: string): string {
  const dash = messageId.lastIndexOf('-');
  return dash < 0 ? messageId : messageId.slice(0, dash);
}
