/**
 * Event counters every layer can bump (limit breaches, refused logins,
 * dropped messages). A leaf module with no imports, so the session, broker,
 * auth and transport layers can share it without depending on each other;
 * the admin layer exports it to Prometheus.
 */
export class Counters {
  private readonly values = new Map<string, number>();
  private readonly labelsOf = new Map<string, Record<string, string>>();
  private readonly names = new Map<string, string>();
  /** Listeners per counter name (the server logs limit breaches this way); null while there are none. */
  private watchers: Map<string, (labels: Record<string, string>) => void> | null = null;

  /** Add `by` to counter `name` with `labels` (a small, bounded set of label values). */
  increment(name: string, labels: Record<string, string> = {}, by = 1): void {
    const key = keyOf(name, labels);
    const current = this.values.get(key);
    if (current === undefined) {
      this.values.set(key, by);
      this.labelsOf.set(key, { ...labels });
      this.names.set(key, name);
    } else {
      this.values.set(key, current + by);
    }
    if (this.watchers !== null) this.watchers.get(name)?.(labels);
  }

  /**
   * Call `listener` on every increment of counter `name`, with its labels:
   * how the server writes one (rate-limited) log line per limit breach
   * wherever in the layers it was counted. One listener per name.
   */
  watch(name: string, listener: (labels: Record<string, string>) => void): void {
    this.watchers ??= new Map();
    this.watchers.set(name, listener);
  }

  get(name: string, labels: Record<string, string> = {}): number {
    return this.values.get(keyOf(name, labels)) ?? 0;
  }

  /** Every counter with its labels and value. */
  entries(): { name: string; labels: Record<string, string>; value: number }[] {
    return [...this.values].map(([key, value]) => ({
      name: this.names.get(key)!,
      labels: this.labelsOf.get(key)!,
      value,
    }));
  }
}

function keyOf(name: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return name;
  keys.sort();
  let key = name;
  for (const k of keys) key += `\u0000${k}=${labels[k]}`;
  return key;
}

/** The counter every limit breach bumps, labelled with the limit's config key. */
export const LIMIT_BREACHES = 'stompede_limit_breaches_total';
