import { InOutRates } from './rates.js';

/**
 * What the broker counts per topic name. Topics have no object of their own
 * (a topic is its subscribers and maybe a history), so these live in a map
 * the broker keeps, looked up once per publish.
 */
export class TopicStats {
  /** Messages published to the topic. */
  published = 0;
  /** Copies handed to live subscribers (after selector and no-local), before flow policies. */
  delivered = 0;
  /** Copies a subscriber's flow policy lost (slow consumer, x-max-rate, conflation). */
  dropped = 0;
  readonly rates = new InOutRates();
}

/** Most topics counted; past it, topics nobody listens to are forgotten first. */
const MAX_COUNTED_TOPICS = 10_000;

export class TopicStatsTable {
  private readonly byName = new Map<string, TopicStats>();

  /** The stats of topic `name`, created on first use. */
  of(name: string, subscribed: (name: string) => boolean): TopicStats {
    let stats = this.byName.get(name);
    if (stats === undefined) {
      if (this.byName.size >= MAX_COUNTED_TOPICS) this.evict(subscribed);
      stats = new TopicStats();
      this.byName.set(name, stats);
    }
    return stats;
  }

  get(name: string): TopicStats | undefined {
    return this.byName.get(name);
  }

  delete(name: string): void {
    this.byName.delete(name);
  }

  entries(): IterableIterator<[string, TopicStats]> {
    return this.byName.entries();
  }

  /** Forget topics without subscribers; if every topic has some, forget the oldest half. */
  private evict(subscribed: (name: string) => boolean): void {
    for (const name of this.byName.keys()) if (!subscribed(name)) this.byName.delete(name);
    if (this.byName.size < MAX_COUNTED_TOPICS) return;
    let drop = this.byName.size / 2;
    for (const name of this.byName.keys()) {
      if (drop-- <= 0) break;
      this.byName.delete(name);
    }
  }
}
