/**
 * clusterStatus(): what the admin API and `stompede status` show of a
 * cluster — every live node with its connection count, and Redis health.
 */
import { describe, expect, it, vi } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { TEST_CLUSTER_TIMINGS } from '../../helpers/cluster.js';
import { HAS_REDIS, startRedis } from '../../helpers/redis-server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });

async function until(cond: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('clusterStatus()', () => {
  it('says clustering is off for a single node', async () => {
    const b = await startBroker();
    expect(await b.broker.clusterStatus()).toEqual({
      enabled: false,
      nodeId: '',
      nodes: [],
      redis: null,
    });
  });

  it.skipIf(!HAS_REDIS)(
    'lists the live nodes with their connections, and Redis health',
    async () => {
      const redis = await startRedis({ appendonly: false });
      const url = `redis://:pw@127.0.0.1:${redis.port}`;
      redis.cli('CONFIG', 'SET', 'requirepass', 'pw');
      const cluster = { ...TEST_CLUSTER_TIMINGS, url };
      const a = await startBroker({ cluster: { ...cluster, nodeId: 'node-a' } });
      const b = await startBroker({ cluster: { ...cluster, nodeId: 'node-b' } });
      await a.connectTcp({}, 'a1');
      await a.connectTcp({}, 'a2');
      await b.connectTcp({}, 'b1');

      await until(async () => {
        const s = await a.broker.clusterStatus();
        return s.nodes.length === 2 && s.nodes.every((n) => n.connections > 0 && n.address !== '');
      }, 'both nodes with their connections');
      const status = await a.broker.clusterStatus();
      expect(status.enabled).toBe(true);
      expect(status.nodeId).toBe('node-a');
      expect(status.redis).toMatchObject({
        url: `redis://:***@127.0.0.1:${redis.port}`,
        healthy: true,
      });
      expect(status.redis?.latencyMs).toBeGreaterThanOrEqual(0);
      expect(status.nodes.map((n) => [n.id, n.self, n.connections, n.address])).toEqual([
        ['node-a', true, 2, `127.0.0.1:${a.addr.tcp.port}`],
        ['node-b', false, 1, `127.0.0.1:${b.addr.tcp.port}`],
      ]);
      expect(status.nodes[1]!.lastSeen).toBeGreaterThan(Date.now() - 5000);

      // A node that leaves is gone from the list; Redis going away shows as unhealthy.
      await b.close();
      await until(async () => (await a.broker.clusterStatus()).nodes.length === 1, 'node-b gone');
      await redis.stop();
      await until(
        async () => (await a.broker.clusterStatus()).redis?.healthy === false,
        'unhealthy',
      );
      const down = await a.broker.clusterStatus();
      expect(down.redis?.latencyMs).toBeNull();
      expect(down.nodes.map((n) => n.id)).toEqual(['node-a']);
    },
  );
});
