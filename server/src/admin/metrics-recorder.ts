/**
 * What the metrics must record between scrapes, kept apart from prom-client
 * so that it runs from start-up while prom-client (~80 modules with its
 * OpenTelemetry dependency) loads on the first scrape (issue 9: start-up):
 * the store's commit latency histogram and the event-loop delay.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** Commit latency buckets, seconds: LMDB commits with fsync take ~0.1–10 ms on SSDs. */
export const COMMIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

const COMMIT_NAME = 'stompede_store_commit_seconds';
const COMMIT_HELP = 'Duration of store commits (one commit serves many writes).';

export class MetricsRecorder {
  /** Event-loop delay since the previous scrape (the scrape resets it). */
  readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  /** Commits per bucket, not cumulative; the last slot is above the largest bound. */
  private readonly commitBuckets = new Float64Array(COMMIT_BUCKETS.length + 1);
  private commitSum = 0;
  private commitCount = 0;

  constructor() {
    this.loopDelay.enable();
  }

  /** The store's onCommit hook: one call per commit, not per message. */
  readonly observeCommit = (ms: number): void => {
    const seconds = ms / 1000;
    let i = 0;
    while (i < COMMIT_BUCKETS.length && seconds > COMMIT_BUCKETS[i]!) i++;
    this.commitBuckets[i]!++;
    this.commitSum += seconds;
    this.commitCount++;
  };

  /** The commit histogram as one family of the Prometheus text format, ending in a newline. */
  commitHistogramText(): string {
    const lines = [`# HELP ${COMMIT_NAME} ${COMMIT_HELP}`, `# TYPE ${COMMIT_NAME} histogram`];
    let cumulative = 0;
    for (let i = 0; i < COMMIT_BUCKETS.length; i++) {
      cumulative += this.commitBuckets[i]!;
      lines.push(`${COMMIT_NAME}_bucket{le="${COMMIT_BUCKETS[i]}"} ${cumulative}`);
    }
    lines.push(`${COMMIT_NAME}_bucket{le="+Inf"} ${this.commitCount}`);
    lines.push(`${COMMIT_NAME}_sum ${this.commitSum}`);
    lines.push(`${COMMIT_NAME}_count ${this.commitCount}`);
    return `${lines.join('\n')}\n`;
  }

  close(): void {
    this.loopDelay.disable();
  }
}
