/**
 * Slows down password guessing from one address: each failed login from an
 * address delays its ERROR by an amount that doubles with the address's
 * recent failures (none for the first, then baseMs, 2·baseMs, … up to
 * maxMs). The failure count decays (halves every halfLifeMs), and only the
 * most recently failing `maxAddresses` addresses are remembered, so memory
 * stays bounded under a flood of addresses.
 */
import type { ThrottleOptions } from './types.js';

interface Entry {
  /** Recent failures, decayed to `at`. */
  score: number;
  at: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: ThrottleOptions) {}

  /** Record a failed login from `address`; returns how long to hold back its ERROR, ms. */
  failure(address: string, now = Date.now()): number {
    const prior = this.recent(address, now);
    const delay =
      prior < 0.5
        ? 0
        : Math.min(this.options.maxMs, Math.round(this.options.baseMs * 2 ** (prior - 1)));
    // Re-insert so the map's order is least recently failing first.
    this.entries.delete(address);
    this.entries.set(address, { score: prior + 1, at: now });
    while (this.entries.size > this.options.maxAddresses) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return delay;
  }

  /** The decayed failure count of `address` now. */
  recent(address: string, now = Date.now()): number {
    const entry = this.entries.get(address);
    if (entry === undefined) return 0;
    const elapsed = Math.max(0, now - entry.at);
    return entry.score * 0.5 ** (elapsed / this.options.halfLifeMs);
  }

  /** Addresses currently remembered. */
  get size(): number {
    return this.entries.size;
  }
}
