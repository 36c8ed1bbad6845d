/**
 * GET /admin/api/cluster and the overview's cluster field: this node alone,
 * or every node of a Redis cluster (real redis-server) with its connections.
 */
import { describe, expect, it, vi } from 'vitest';
import { adminClient, until } from '../../helpers/admin-http.js';
import { startBroker } from '../../helpers/broker.js';
import { TEST_CLUSTER_TIMINGS } from '../../helpers/cluster.js';
import { HAS_REDIS, startRedis } from '../../helpers/redis-server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });

describe('admin API: cluster', () => {
  it.skipIf(!HAS_REDIS)('lists every node of the cluster with its connections', async () => {
    const redis = await startRedis({ appendonly: false });
    const cluster = { ...TEST_CLUSTER_TIMINGS, url: `redis://127.0.0.1:${redis.port}` };
    const a = await startBroker({ cluster: { ...cluster, nodeId: 'node-a' } });
    const b = await startBroker({ cluster: { ...cluster, nodeId: 'node-b' } });
    await b.connectTcp();
    await b.connectTcp();
    const api = adminClient(a);
    const answer = await until(
      () => api.get('/cluster'),
      (r) =>
        r.body.nodes?.length === 2 &&
        r.body.nodes.every(
          (n: { connections: number; id: string }) => n.id === 'node-a' || n.connections === 2,
        ),
      10_000,
    );
    expect(answer.body).toMatchObject({
      enabled: true,
      nodeId: 'node-a',
      redis: { healthy: true },
    });
    expect(
      answer.body.nodes.map((n: { id: string; self: boolean; connections: number }) => [
        n.id,
        n.self,
        n.connections,
      ]),
    ).toEqual([
      ['node-a', true, 0],
      ['node-b', false, 2],
    ]);
    const overview = await api.get('/overview');
    expect(overview.body.cluster.enabled).toBe(true);
    expect(overview.body.cluster.nodes).toHaveLength(2);
  });
});
