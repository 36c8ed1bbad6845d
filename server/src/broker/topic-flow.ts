import type { Counters } from '../counters.js';
import type { Message } from './message.js';

/** Counter of messages a subscriber never got (slow consumer, x-max-rate, conflation, full queue), by reason. */
export const MESSAGES_DROPPED = 'stompede_messages_dropped_total';

export type DropReason =
  | 'slow-consumer'
  | 'max-rate'
  | 'conflated'
  | 'conflation-overflow'
  | 'expired'
  | 'queue-full';

/**
 * Most distinct `x-conflate-key` values one subscription holds while it is
 * behind; a message with yet another value is dropped (and counted).
 */
export const MAX_CONFLATION_KEYS = 10_000;

/** What a held message is reckoned to cost: its body plus a rough allowance for headers. */
const HELD_OVERHEAD_BYTES = 256;

export interface TopicFlowOptions {
  /** `x-max-rate`: most live messages per second (0 = no limit). */
  maxRate: number;
  /** `x-conflate-key`: the header whose value names what a newer message replaces ('' = no conflation). */
  conflateKey: string;
  /** Most bytes of messages held for conflation. */
  maxHeldBytes: number;
  counters: Counters;
}

/**
 * What one topic subscription's flow policies keep: its rate budget
 * (`x-max-rate`), the newest message per key while it is behind
 * (`x-conflate-key`), and how many messages it lost since its last MESSAGE,
 * reported on the next one as `x-dropped:<n>` / `x-conflated:<n>`.
 *
 * The rate budget is a token bucket of one second's worth, refilled on the
 * session's scheduler tick (no clock read per message, no timer per subscription).
 */
export class TopicFlow {
  readonly maxRate: number;
  readonly conflateKey: string;
  /** Lost since the last MESSAGE of this subscription (not yet reported). */
  dropped = 0;
  conflated = 0;
  private tokens: number;
  private refilledAt = Date.now();
  private readonly held = new Map<string, Message>();
  private heldBytes = 0;
  private readonly maxHeldBytes: number;
  private readonly counters: Counters;

  constructor(options: TopicFlowOptions) {
    this.maxRate = options.maxRate;
    this.conflateKey = options.conflateKey;
    this.maxHeldBytes = options.maxHeldBytes;
    this.counters = options.counters;
    this.tokens = options.maxRate;
  }

  /** Whether the subscription asked for a rate limit or conflation (then every live message passes through here). */
  get limited(): boolean {
    return this.maxRate > 0 || this.conflateKey !== '';
  }

  /** Messages held for conflation, waiting for room or budget. */
  get heldCount(): number {
    return this.held.size;
  }

  /** Spend one message of the rate budget; false when it is used up until the next tick. */
  take(): boolean {
    if (this.maxRate === 0) return true;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /** Scheduler tick: give back budget for the time since the last refill, up to one second's worth. */
  refill(now: number): void {
    if (this.maxRate === 0) return;
    const elapsed = now - this.refilledAt;
    this.refilledAt = now;
    if (elapsed > 0)
      this.tokens = Math.min(this.maxRate, this.tokens + (elapsed * this.maxRate) / 1000);
  }

  /**
   * Keep `message` as the newest of its key (the value of the conflate-key
   * header; messages without it share the key ''), replacing — conflating —
   * an older one. Beyond MAX_CONFLATION_KEYS keys or maxHeldBytes it is dropped.
   */
  hold(message: Message): void {
    const key = message.headers[this.conflateKey] ?? '';
    const older = this.held.get(key);
    if (older !== undefined) {
      // Delete, then set: the held messages stay in the order of their newest version.
      this.held.delete(key);
      this.heldBytes -= heldSize(older);
      this.conflated++;
      this.counters.increment(MESSAGES_DROPPED, { reason: 'conflated' });
    } else if (
      this.held.size >= MAX_CONFLATION_KEYS ||
      this.heldBytes + heldSize(message) > this.maxHeldBytes
    ) {
      this.drop('conflation-overflow');
      return;
    }
    this.held.set(key, message);
    this.heldBytes += heldSize(message);
  }

  /** The oldest held message, removed; undefined when none. */
  next(): Message | undefined {
    const first = this.held.entries().next();
    if (first.done === true) return undefined;
    const [key, message] = first.value;
    this.held.delete(key);
    this.heldBytes -= heldSize(message);
    return message;
  }

  /** Count one message this subscriber will never get. */
  drop(reason: DropReason): void {
    this.dropped++;
    this.counters.increment(MESSAGES_DROPPED, { reason });
  }

  /** Whether losses wait to be reported on the next MESSAGE. */
  get unreported(): boolean {
    return this.dropped !== 0 || this.conflated !== 0;
  }

  /** The header lines reporting the losses since the last MESSAGE (and reset them). */
  takeReport(): string {
    let lines = '';
    if (this.dropped !== 0) lines += `x-dropped:${this.dropped}\n`;
    if (this.conflated !== 0) lines += `x-conflated:${this.conflated}\n`;
    this.dropped = 0;
    this.conflated = 0;
    return lines;
  }
}

function heldSize(message: Message): number {
  return message.body.length + HELD_OVERHEAD_BYTES;
}
