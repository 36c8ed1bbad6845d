/**
 * Prometheus metrics (prom-client, text exposition format) on the HTTP port.
 * Nothing here runs per message: every value is read from the broker's and
 * sessions' plain counters when Prometheus scrapes, except the store commit
 * histogram (one observation per commit) and the event-loop delay monitor.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { HttpRequestInfo, HttpResponseData } from '../transport/connection.js';
import { authenticateRequest, requireAccess } from './access.js';
import { AdminError } from './errors.js';
import type { AdminHost } from './host.js';
import { queueSamples, topicSamples } from './metrics-destinations.js';
import type { MetricsRecorder } from './metrics-recorder.js';

const TRANSPORTS = ['uws', 'ws', 'tcp'] as const;

export class BrokerMetrics {
  private readonly registry = new Registry();
  /** Counters of the shared registry already exported, with their label names. */
  private readonly shared = new Map<string, { metric: Counter<string>; labels: string[] }>();

  /** Built on the first scrape; `recorder` has been recording since start-up. */
  constructor(
    private readonly host: AdminHost,
    private readonly recorder: MetricsRecorder,
  ) {
    const registers = [this.registry];
    const metrics = this;

    new Gauge({
      name: 'stompede_connections',
      help: 'Open client connections, by transport.',
      labelNames: ['transport'],
      registers,
      collect() {
        const totals = metrics.host.wireTotals();
        for (const t of TRANSPORTS) this.set({ transport: t }, totals[t].connections);
      },
    });
    const wire: [string, string, 'framesIn' | 'framesOut' | 'bytesIn' | 'bytesOut'][] = [
      ['stompede_frames_in_total', 'STOMP frames received, by transport.', 'framesIn'],
      ['stompede_frames_out_total', 'STOMP frames sent, by transport.', 'framesOut'],
      ['stompede_bytes_in_total', 'Bytes received from clients, by transport.', 'bytesIn'],
      ['stompede_bytes_out_total', 'Bytes written to clients, by transport.', 'bytesOut'],
    ];
    for (const [name, help, field] of wire) {
      new Counter({
        name,
        help,
        labelNames: ['transport'],
        registers,
        collect() {
          const totals = metrics.host.wireTotals();
          this.reset();
          for (const t of TRANSPORTS) this.inc({ transport: t }, totals[t][field]);
        },
      });
    }
    const messages: [string, string, () => number][] = [
      ['published', 'Messages published (SENDs routed).', () => host.broker.published],
      ['delivered', 'MESSAGE frames delivered to subscribers.', () => host.broker.delivered],
      ['acked', 'Deliveries settled by ACK.', () => host.broker.acked],
      ['nacked', 'Deliveries settled by NACK.', () => host.broker.nacked],
      ['redelivered', 'Deliveries flagged redelivered.', () => host.broker.redelivered],
      ['expired', 'Messages that expired in a queue.', () => host.broker.expired],
      [
        'dead_lettered',
        'Messages dead-lettered (redelivery limit, rejected, max length).',
        () => host.broker.deadLettered,
      ],
    ];
    for (const [name, help, read] of messages) {
      new Counter({
        name: `stompede_messages_${name}_total`,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    }
    this.destinationGauges();
    new Gauge({
      name: 'stompede_event_loop_lag_seconds',
      help: 'Event-loop delay since the previous scrape: the 99th percentile.',
      registers,
      collect() {
        const loopDelay = metrics.recorder.loopDelay;
        const p99 = loopDelay.percentile(99);
        this.set(Number.isFinite(p99) ? p99 / 1e9 : 0);
        loopDelay.reset();
      },
    });
    new Gauge({
      name: 'stompede_memory_bytes',
      help: 'Process memory, by kind (rss, heapUsed).',
      labelNames: ['kind'],
      registers,
      collect() {
        const memory = process.memoryUsage();
        this.set({ kind: 'rss' }, memory.rss);
        this.set({ kind: 'heapUsed' }, memory.heapUsed);
      },
    });
  }

  /** Depth, consumers and rates per destination (top N plus `other`). */
  private destinationGauges(): void {
    const registers = [this.registry];
    const top = this.host.config.metrics.topDestinations;
    const host = this.host;
    // One sample of all destinations per scrape, shared by the gauges below (each collect() asks).
    let cache: {
      at: number;
      queues: ReturnType<typeof queueSamples>;
      topics: ReturnType<typeof topicSamples>;
    } | null = null;
    const samples = () => {
      const now = Date.now();
      if (cache === null || now - cache.at > 200) {
        cache = {
          at: now,
          queues: queueSamples(host.broker, top),
          topics: topicSamples(host.broker, top),
        };
      }
      return cache;
    };
    const gauges: [string, string, 'queues' | 'topics', string][] = [
      ['stompede_queue_depth', 'Messages waiting in a queue.', 'queues', 'depth'],
      ['stompede_queue_consumers', 'Consumers of a queue.', 'queues', 'consumers'],
      ['stompede_queue_in_flight', 'Deliveries of a queue awaiting ACK.', 'queues', 'inFlight'],
      ['stompede_queue_in_rate', 'Messages per second entering a queue.', 'queues', 'inRate'],
      [
        'stompede_queue_out_rate',
        'Messages per second leaving a queue (acknowledged).',
        'queues',
        'outRate',
      ],
      ['stompede_topic_subscribers', 'Live subscribers of a topic.', 'topics', 'subscribers'],
      ['stompede_topic_in_rate', 'Messages per second published to a topic.', 'topics', 'inRate'],
      ['stompede_topic_out_rate', 'Copies per second delivered from a topic.', 'topics', 'outRate'],
    ];
    for (const [name, help, kind, field] of gauges) {
      new Gauge({
        name,
        help: `${help} The top metrics.topDestinations destinations; the rest summed as destination="other".`,
        labelNames: ['destination'],
        registers,
        collect() {
          this.reset();
          for (const row of samples()[kind]) {
            this.set({ destination: row.destination }, row.values[field] ?? 0);
          }
        },
      });
    }
  }

  /** Every counter of the shared registry (limit breaches, auth failures, drops…), as it is now. */
  private syncSharedCounters(): void {
    const byName = new Map<string, { labels: Record<string, string>; value: number }[]>();
    for (const entry of this.host.counters.entries()) {
      let list = byName.get(entry.name);
      if (list === undefined) {
        list = [];
        byName.set(entry.name, list);
      }
      list.push(entry);
    }
    for (const [name, entries] of byName) {
      const labelNames = [...new Set(entries.flatMap((e) => Object.keys(e.labels)))].sort();
      let exported = this.shared.get(name);
      if (exported !== undefined && exported.labels.join(',') !== labelNames.join(',')) {
        this.registry.removeSingleMetric(name);
        exported = undefined;
      }
      if (exported === undefined) {
        const metric = new Counter({
          name,
          help: `Stompede event counter ${name}.`,
          labelNames,
          registers: [this.registry],
        });
        exported = { metric, labels: labelNames };
        this.shared.set(name, exported);
      }
      exported.metric.reset();
      for (const entry of entries) {
        const labels: Record<string, string> = {};
        for (const label of labelNames) labels[label] = entry.labels[label] ?? '';
        exported.metric.inc(labels, entry.value);
      }
    }
  }

  /** GET on metrics.path: the exposition text. Same access as the admin API's read-only endpoints. */
  async handle(request: HttpRequestInfo): Promise<HttpResponseData> {
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        throw new AdminError(405, 'method-not-allowed', 'Metrics are read with GET.', {
          allow: 'GET',
        });
      }
      const principal = await authenticateRequest(this.host, request);
      requireAccess(this.host, principal, 'monitor');
      this.syncSharedCounters();
      // The commit histogram is the recorder's own family (see metrics-recorder.ts), after prom-client's.
      const body = `${await this.registry.metrics()}\n${this.recorder.commitHistogramText()}`;
      return {
        status: 200,
        headers: { 'content-type': this.registry.contentType, 'cache-control': 'no-store' },
        body,
      };
    } catch (err) {
      if (!(err instanceof AdminError)) throw err;
      return {
        status: err.status,
        headers: { 'content-type': 'application/json; charset=utf-8', ...err.headers },
        body: JSON.stringify({ error: err.message, code: err.code }),
      };
    }
  }
}
