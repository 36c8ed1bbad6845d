/**
 * A cluster for a test: its own redis-server and broker nodes as child
 * processes (`stompede serve --cluster …`), with short heartbeats so dead
 * nodes are noticed within about a second. Everything is torn down when the
 * test finishes.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BrokerProcess, spawnBroker } from './broker-process.js';
import { tempDataDir } from './persistence.js';
import { type RedisServer, startRedis } from './redis-server.js';

/** Fast cluster timings for tests (the defaults suit production). */
export const TEST_CLUSTER_TIMINGS = {
  heartbeatMs: 200,
  nodeTtlMs: 1000,
  claimIdleMs: 300,
  pollMs: 200,
};

export interface TestCluster {
  redis: RedisServer;
  nodes: BrokerProcess[];
  /** Start one more node (with `nodeId`, default `node-<n>`). */
  addNode(nodeId?: string): Promise<BrokerProcess>;
}

export async function startNode(
  redisUrl: string,
  nodeId: string,
  config: Record<string, unknown> = {},
): Promise<BrokerProcess> {
  const dataDir = await tempDataDir('stompede-cluster-');
  const configFile = join(dataDir, 'config.json');
  await writeFile(configFile, JSON.stringify({ cluster: { ...TEST_CLUSTER_TIMINGS }, ...config }));
  return spawnBroker({
    dataDir,
    configFile,
    extraArgs: ['--cluster', redisUrl, '--cluster-node-id', nodeId],
  });
}

export async function startCluster(
  size: number,
  config: Record<string, unknown> = {},
): Promise<TestCluster> {
  const redis = await startRedis();
  const nodes: BrokerProcess[] = [];
  const cluster: TestCluster = {
    redis,
    nodes,
    async addNode(nodeId = `node-${nodes.length + 1}`) {
      const node = await startNode(redis.url, nodeId, config);
      nodes.push(node);
      return node;
    },
  };
  await Promise.all(
    Array.from({ length: size }, (_, i) => startNode(redis.url, `node-${i + 1}`, config)),
  ).then((started) => nodes.push(...started));
  return cluster;
}
