/**
 * Whole-broker verbs: `status` (overview), `stats` (every destination's
 * counters in one table, like `activemq dstat`), `cluster`
 * (`rabbitmqctl cluster_status`), and `stop` (graceful shutdown).
 */
import type { Command } from 'commander';
import { CliError } from '../options.js';
import { type AdminClient, type AdminFlags, EXIT } from './client.js';
import { adminVerb, withClient } from './command.js';
import {
  bytes,
  duration,
  pick,
  printFields,
  printJson,
  printLine,
  printTable,
  rate,
} from './output.js';

type Json = Record<string, unknown>;

export function registerOverviewVerbs(program: Command): void {
  adminVerb(
    program,
    'status',
    'is the broker up: version, uptime, connections, messages, store',
  ).action(withClient(status));
  adminVerb(
    program,
    'stats',
    'counters and rates of every queue and topic, with broker totals',
  ).action(withClient(stats));
  adminVerb(program, 'cluster', 'the nodes of this broker cluster').action(withClient(cluster));
  adminVerb(program, 'stop', 'shut the broker down gracefully (needs admin)')
    .option('--no-wait', 'return once the broker has accepted the request')
    .action(withClient(stop));
}

async function status(client: AdminClient, flags: AdminFlags): Promise<void> {
  const o = await client.get<Json>('/overview');
  if (flags.json) return printJson(o);
  const byTransport = pick(o, 'connections', 'byTransport') as Json | undefined;
  printFields([
    ['broker', `stompede ${o.version ?? '?'} on node ${o.node ?? '?'}`],
    ['started', o.startedAt],
    ['uptime', duration(o.uptimeMs)],
    [
      'connections',
      `${pick(o, 'connections', 'total') ?? 0}${
        byTransport
          ? ` (${Object.entries(byTransport)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`
          : ''
      }`,
    ],
    ['published', pick(o, 'messages', 'published')],
    ['delivered', pick(o, 'messages', 'delivered')],
    [
      'acked / nacked',
      `${pick(o, 'messages', 'acked') ?? ''} / ${pick(o, 'messages', 'nacked') ?? ''}`,
    ],
    ['redelivered', pick(o, 'messages', 'redelivered')],
    ['expired', pick(o, 'messages', 'expired')],
    ['dead-lettered', pick(o, 'messages', 'deadLettered')],
    [
      'rates (msg/s)',
      `in ${rate(pick(o, 'rates', 'publishedPerSec'))}, out ${rate(pick(o, 'rates', 'deliveredPerSec'))}`,
    ],
    ['store', `${pick(o, 'store', 'kind') ?? ''}, ${bytes(pick(o, 'store', 'diskBytes'))} on disk`],
    [
      'memory',
      `rss ${bytes(pick(o, 'memory', 'rss'))}, heap ${bytes(pick(o, 'memory', 'heapUsed'))}`,
    ],
    [
      'cluster',
      pick(o, 'cluster', 'enabled')
        ? `${(pick(o, 'cluster', 'nodes') as unknown[]).length} node(s)`
        : 'off',
    ],
  ]);
}

interface DestinationRow {
  type: string;
  name: string;
  size: unknown;
  consumers: unknown;
  in: unknown;
  out: unknown;
  inRate: unknown;
  outRate: unknown;
}

async function stats(client: AdminClient, flags: AdminFlags): Promise<void> {
  const [overview, queues, topics] = await Promise.all([
    client.get<Json>('/overview'),
    client.get<Json[]>('/queues'),
    client.get<Json[]>('/topics'),
  ]);
  if (flags.json) return printJson({ overview, queues, topics });
  const rows: DestinationRow[] = [
    ...queues.map((q) => ({
      type: 'queue',
      name: String(q.destination ?? q.name),
      size: q.depth,
      consumers: q.consumers,
      in: q.enqueued,
      out: q.dequeued,
      inRate: pick(q, 'rates', 'inPerSec'),
      outRate: pick(q, 'rates', 'outPerSec'),
    })),
    ...topics.map((t) => ({
      type: 'topic',
      name: String(t.destination ?? t.name),
      size: t.historySize,
      consumers: t.subscribers,
      in: t.published,
      out: t.delivered,
      inRate: pick(t, 'rates', 'inPerSec'),
      outRate: pick(t, 'rates', 'outPerSec'),
    })),
  ];
  printTable(
    rows,
    [
      { title: 'Name', value: (r) => r.name },
      { title: 'Size', value: (r) => r.size, align: 'right' },
      { title: 'Consumers', value: (r) => r.consumers, align: 'right' },
      { title: 'Enqueued', value: (r) => r.in, align: 'right' },
      { title: 'Dequeued', value: (r) => r.out, align: 'right' },
      { title: 'In/s', value: (r) => rate(r.inRate), align: 'right' },
      { title: 'Out/s', value: (r) => rate(r.outRate), align: 'right' },
    ],
    'no destinations',
  );
  const m = (key: string) => pick(overview, 'messages', key) ?? 0;
  printLine(
    `totals: published ${m('published')}, delivered ${m('delivered')}, acked ${m('acked')}, ` +
      `redelivered ${m('redelivered')}, expired ${m('expired')}, dead-lettered ${m('deadLettered')}; ` +
      `connections ${pick(overview, 'connections', 'total') ?? 0}`,
  );
}

async function cluster(client: AdminClient, flags: AdminFlags): Promise<void> {
  const c = await client.get<Json>('/cluster');
  if (flags.json) return printJson(c);
  printLine(c.enabled ? 'cluster: on' : 'cluster: off (a single node)');
  printTable(
    (c.nodes as Json[] | undefined) ?? [],
    [
      { title: 'Node', value: (n) => n.id },
      { title: 'Address', value: (n) => n.address },
      { title: 'Self', value: (n) => (n.self ? '*' : '') },
      { title: 'Connections', value: (n) => n.connections, align: 'right' },
      { title: 'Uptime', value: (n) => duration(n.uptimeMs) },
    ],
    'no nodes',
  );
}

interface StopFlags extends AdminFlags {
  wait: boolean;
}

async function stop(client: AdminClient, flags: StopFlags): Promise<void> {
  const answer = await client.post<Json>('/shutdown');
  if (flags.wait) await untilGone(client, flags.timeout);
  if (flags.json) return printJson(answer);
  printLine(flags.wait ? 'the broker has stopped' : 'the broker is stopping');
}

/** Poll until the broker no longer answers (it closed its port), within `timeoutMs`. */
async function untilGone(client: AdminClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await client.get('/overview');
    } catch (err) {
      if (err instanceof CliError && err.exitCode === EXIT.unreachable) return;
      throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new CliError(
    `the broker accepted the shutdown but still answers after ${timeoutMs} ms`,
    EXIT.brokerError,
  );
}
