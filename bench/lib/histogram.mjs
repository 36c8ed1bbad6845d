/**
 * Tiny log-linear histogram (HDR-style): integer values (we use microseconds),
 * 64 linear sub-buckets per power of two above 128, i.e. <= ~1.6 % relative
 * error, exact below 128. Fixed 1.7k-slot Float64Array; merge by adding arrays.
 */
const SUB_BITS = 7;
const SUB_COUNT = 1 << SUB_BITS; // 128
const HALF = SUB_COUNT >> 1; // 64
const MAX_VALUE = 2 ** 31 - 1;
export const HISTOGRAM_SLOTS = (31 - SUB_BITS + 2) * HALF + HALF; // covers up to 2^31

function indexOf(v) {
  if (v < SUB_COUNT) return Math.max(0, v);
  v = Math.min(v, MAX_VALUE);
  const shift = 31 - Math.clz32(v) - SUB_BITS + 1;
  return shift * HALF + (v >>> shift);
}

/** Highest value that lands in slot i (what percentiles report). */
function highOf(i) {
  if (i < SUB_COUNT) return i;
  const shift = Math.floor(i / HALF) - 1;
  const sub = i - shift * HALF;
  return ((sub + 1) << shift) - 1;
}

export class Histogram {
  constructor(counts) {
    this.counts = counts ?? new Float64Array(HISTOGRAM_SLOTS);
    this.total = 0;
    this.max = 0;
    if (counts) for (let i = 0; i < counts.length; i++) this.total += counts[i];
  }

  record(value) {
    const v = Math.round(value);
    this.counts[indexOf(v)]++;
    this.total++;
    if (v > this.max) this.max = v;
  }

  /** Add another histogram's counts (from another process: plain {counts:[[i,n],...], max}). */
  mergeSparse(sparse) {
    for (const [i, n] of sparse.counts) {
      this.counts[i] += n;
      this.total += n;
    }
    if (sparse.max > this.max) this.max = sparse.max;
  }

  toSparse() {
    const counts = [];
    for (let i = 0; i < this.counts.length; i++)
      if (this.counts[i] !== 0) counts.push([i, this.counts[i]]);
    return { counts, max: this.max };
  }

  /** Value at quantile q (0..1): upper edge of the slot holding it, capped at the observed max. */
  quantile(q) {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(highOf(i), this.max);
    }
    return this.max;
  }
}
