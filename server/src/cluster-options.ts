import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClusterOptions } from './cluster/index.js';
import type { BrokerConfig } from './config.js';

/**
 * The cluster bus's options from the config, with the node id chosen:
 * `cluster.nodeId`, else `<hostname>:<tcpPort>` when the port is fixed
 * (so a restarted node takes back its own pending messages), else
 * `<hostname>-<random>`. Null when clustering is off.
 */
export function clusterOptions(config: BrokerConfig): ClusterOptions | null {
  const { url, nodeId, ...rest } = config.cluster;
  if (url === null) return null;
  const fixedPort = config.tcpPort !== null && config.tcpPort !== 0 ? config.tcpPort : null;
  const id =
    nodeId ??
    (fixedPort !== null
      ? `${hostname()}:${fixedPort}`
      : `${hostname()}-${randomBytes(4).toString('hex')}`);
  return { url, nodeId: id, ...rest };
}
