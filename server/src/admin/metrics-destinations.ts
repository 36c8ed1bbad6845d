/**
 * Per-destination metric values with bounded label cardinality: the top N
 * destinations keep their own `destination` label, the rest are summed under
 * `destination="other"`, however many destinations exist.
 */
import type { Broker } from '../broker/broker.js';

export interface DestinationSample {
  destination: string;
  values: Record<string, number>;
}

/** The label the destinations past the top N share. */
export const OTHER = 'other';

/**
 * Keep the first `top` of `rows` (already ranked) and fold the rest into one
 * `other` row (omitted when there is no rest).
 */
export function topWithOther(rows: DestinationSample[], top: number): DestinationSample[] {
  if (rows.length <= top) return rows;
  const kept = rows.slice(0, top);
  const other: DestinationSample = { destination: OTHER, values: {} };
  for (const row of rows.slice(top)) {
    for (const [key, value] of Object.entries(row.values)) {
      other.values[key] = (other.values[key] ?? 0) + value;
    }
  }
  kept.push(other);
  return kept;
}

/** Queues ranked by depth, then by traffic: the ones an operator watches first. */
export function queueSamples(broker: Broker, top: number): DestinationSample[] {
  const rows = broker.admin.namedQueues().map((queue) => ({
    destination: `/queue/${queue.name}`,
    values: {
      depth: queue.depth,
      consumers: queue.consumerCount,
      inFlight: queue.inFlight,
      inRate: queue.rates.in.perSecond(),
      outRate: queue.rates.out.perSecond(),
    },
  }));
  rows.sort(
    (a, b) =>
      b.values.depth - a.values.depth ||
      b.values.inRate + b.values.outRate - (a.values.inRate + a.values.outRate) ||
      a.destination.localeCompare(b.destination),
  );
  return topWithOther(rows, top);
}

/** Topics ranked by traffic, then by subscribers. */
export function topicSamples(broker: Broker, top: number): DestinationSample[] {
  const rows: DestinationSample[] = [];
  for (const name of broker.admin.topicNames()) {
    const stats = broker.topicStats.get(name);
    rows.push({
      destination: `/topic/${name}`,
      values: {
        subscribers: broker.router.subscribersOf(name),
        inRate: stats?.rates.in.perSecond() ?? 0,
        outRate: stats?.rates.out.perSecond() ?? 0,
      },
    });
  }
  rows.sort(
    (a, b) =>
      b.values.inRate + b.values.outRate - (a.values.inRate + a.values.outRate) ||
      b.values.subscribers - a.values.subscribers ||
      a.destination.localeCompare(b.destination),
  );
  return topWithOther(rows, top);
}
