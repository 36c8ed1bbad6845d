/**
 * A queue's entries waiting out a redelivery delay, soonest first, with the
 * one timer that releases them; and the policy's backoff. Split from
 * queue.ts (issue 9).
 */
import type { DestinationPolicy } from '../config.js';
import type { QueueEntry } from './message.js';

/** Exponential backoff from the policy: delay × multiplier^(n-1), capped. */
export function redeliveryDelay(policy: DestinationPolicy, deliveries: number): number {
  const { redeliveryDelayMs, redeliveryBackoffMultiplier, maxRedeliveryDelayMs } = policy;
  if (redeliveryDelayMs === 0) return 0;
  const delay = redeliveryDelayMs * redeliveryBackoffMultiplier ** Math.max(0, deliveries - 1);
  return Math.min(delay, maxRedeliveryDelayMs);
}

export class RedeliverySchedule {
  /** Sorted by notBefore. */
  private entries: QueueEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Called with the entries whose delay is over, in their order. */
  private readonly release: (due: QueueEntry[]) => void;

  constructor(release: (due: QueueEntry[]) => void) {
    this.release = release;
  }

  get length(): number {
    return this.entries.length;
  }

  /** Wait until `entry.notBefore`; equal times keep arrival order. */
  add(entry: QueueEntry): void {
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1]!.notBefore > entry.notBefore) i--;
    this.entries.splice(i, 0, entry);
    this.arm();
  }

  /** The soonest entry, taken out (undefined when none waits). */
  shift(): QueueEntry | undefined {
    const entry = this.entries.shift();
    if (entry !== undefined) this.arm();
    return entry;
  }

  /** Take every entry out, soonest first, and stop the timer. */
  clear(): QueueEntry[] {
    const all = this.entries;
    this.entries = [];
    this.stop();
    return all;
  }

  /** Take out the entries `taken` selects; the others keep waiting. */
  takeWhere(taken: (entry: QueueEntry) => boolean): QueueEntry[] {
    const out: QueueEntry[] = [];
    const kept: QueueEntry[] = [];
    for (const entry of this.entries) (taken(entry) ? out : kept).push(entry);
    this.entries = kept;
    this.arm();
    return out;
  }

  forEach(visit: (entry: QueueEntry) => void): void {
    for (const entry of this.entries) visit(entry);
  }

  toArray(): QueueEntry[] {
    return this.entries.slice();
  }

  private arm(): void {
    this.stop();
    const first = this.entries[0];
    if (first === undefined) return;
    this.timer = setTimeout(() => this.releaseDue(), Math.max(0, first.notBefore - Date.now()));
    // A pending redelivery should not by itself keep the process alive.
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private releaseDue(): void {
    this.timer = null;
    const now = Date.now();
    let due = 0;
    while (due < this.entries.length && this.entries[due]!.notBefore <= now) due++;
    const released = this.entries.splice(0, due);
    this.arm();
    this.release(released);
  }
}
