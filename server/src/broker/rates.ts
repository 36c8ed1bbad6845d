/**
 * Rates from counters without per-message timestamps: once a second the
 * sampler pushes each counter's current value into a small ring; the rate is
 * the difference between the newest and the oldest sample over the time
 * between them. Per message the broker only increments integers.
 */
export class RateRing {
  private readonly values: Float64Array;
  private readonly times: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
  }

  /** Record `value` (a counter that only grows, or resets to a lower value) sampled at `now` (ms). */
  push(now: number, value: number): void {
    this.values[this.next] = value;
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.values.length;
    if (this.filled < this.values.length) this.filled++;
  }

  /** Per second over the ring's span; 0 until two samples exist. */
  perSecond(): number {
    if (this.filled < 2) return 0;
    const newest = (this.next - 1 + this.values.length) % this.values.length;
    const oldest = this.filled < this.values.length ? 0 : this.next;
    const span = this.times[newest]! - this.times[oldest]!;
    const delta = this.values[newest]! - this.values[oldest]!;
    if (span <= 0 || delta < 0) return 0;
    return (delta * 1000) / span;
  }

  /** The per-second rate between consecutive samples, oldest first (for charts). */
  series(): number[] {
    const out: number[] = [];
    const cap = this.values.length;
    const start = this.filled < cap ? 0 : this.next;
    for (let i = 1; i < this.filled; i++) {
      const a = (start + i - 1) % cap;
      const b = (start + i) % cap;
      const span = this.times[b]! - this.times[a]!;
      const delta = this.values[b]! - this.values[a]!;
      out.push(span > 0 && delta >= 0 ? (delta * 1000) / span : 0);
    }
    return out;
  }
}

/** Samples per destination ring: rates are averaged over the last few seconds. */
export const DESTINATION_RATE_SAMPLES = 6;
/** Samples of the broker-wide ring: a minute of history for the console's charts. */
export const BROKER_RATE_SAMPLES = 61;

/** An in/out pair of rings, as every destination keeps. */
export class InOutRates {
  readonly in = new RateRing(DESTINATION_RATE_SAMPLES);
  readonly out = new RateRing(DESTINATION_RATE_SAMPLES);

  sample(now: number, inCount: number, outCount: number): void {
    this.in.push(now, inCount);
    this.out.push(now, outCount);
  }
}

/** The broker-wide rings: published and delivered per second, a minute of samples. */
export class BrokerRates {
  readonly published = new RateRing(BROKER_RATE_SAMPLES);
  readonly delivered = new RateRing(BROKER_RATE_SAMPLES);

  sample(now: number, totals: { published: number; delivered: number }): void {
    this.published.push(now, totals.published);
    this.delivered.push(now, totals.delivered);
  }
}
