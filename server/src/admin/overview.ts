/** GET /overview: the broker at a glance, and GET /cluster (this node alone, or every node of the cluster). */
import { VERSION } from '../version.js';
import type { AdminHost } from './host.js';
import { round } from './queues.js';
import type { Route } from './router.js';

function nodeView(host: AdminHost) {
  const totals = host.wireTotals();
  return {
    id: host.nodeId,
    address: host.nodeId,
    self: true,
    connections: totals.uws.connections + totals.ws.connections + totals.tcp.connections,
    uptimeMs: Date.now() - host.startedAt,
  };
}

/** The nodes: the cluster's when clustering is on, else this node alone. */
async function cluster(host: AdminHost) {
  const status = await host.clusterStatus();
  if (!status.enabled) return { enabled: false, nodes: [nodeView(host)], redis: null };
  return {
    enabled: true,
    nodeId: status.nodeId,
    nodes: status.nodes.map((node) => ({
      ...node,
      uptimeMs: node.self ? Date.now() - host.startedAt : null,
    })),
    redis: status.redis,
  };
}

export async function overview(host: AdminHost) {
  const broker = host.broker;
  const totals = host.wireTotals();
  const store = broker.store.stats();
  const memory = process.memoryUsage();
  return {
    version: VERSION,
    node: host.nodeId,
    startedAt: new Date(host.startedAt).toISOString(),
    uptimeMs: Date.now() - host.startedAt,
    connections: {
      total: totals.uws.connections + totals.ws.connections + totals.tcp.connections,
      byTransport: {
        uws: totals.uws.connections,
        ws: totals.ws.connections,
        tcp: totals.tcp.connections,
      },
    },
    messages: {
      published: broker.published,
      delivered: broker.delivered,
      acked: broker.acked,
      nacked: broker.nacked,
      redelivered: broker.redelivered,
      expired: broker.expired,
      deadLettered: broker.deadLettered,
    },
    rates: {
      publishedPerSec: round(broker.rates.published.perSecond()),
      deliveredPerSec: round(broker.rates.delivered.perSecond()),
      /** Per-second rates of the last minute, oldest first, for charts. */
      publishedSeries: broker.rates.published.series().map(round),
      deliveredSeries: broker.rates.delivered.series().map(round),
    },
    destinations: {
      queues: broker.admin.namedQueues().length,
      topics: broker.admin.topicNames().size,
    },
    store: {
      kind: broker.store.kind,
      diskBytes: store.diskBytes,
      commits: store.commits,
      lastCommitMs: round(store.lastCommitMs),
    },
    memory: { rss: memory.rss, heapUsed: memory.heapUsed },
    cluster: await cluster(host).then(({ enabled, nodes }) => ({ enabled, nodes })),
  };
}

export const overviewRoutes: Route[] = [
  { method: 'GET', path: '/overview', access: 'monitor', handle: (call) => overview(call.host) },
  {
    method: 'GET',
    path: '/cluster',
    access: 'monitor',
    handle: (call) => cluster(call.host),
  },
];
