import { describe, expect, it } from 'vitest';
import { clusterOptions } from '../../../server/src/cluster-options.js';
import { resolveConfig } from '../../../server/src/config.js';

describe('cluster config', () => {
  it('is off by default', () => {
    expect(resolveConfig().cluster.url).toBeNull();
    expect(clusterOptions(resolveConfig())).toBeNull();
  });

  it('names the bad key, and masks a password in a bad URL', () => {
    expect(() => resolveConfig({ cluster: { url: 'tcp://a:pw@h' } })).toThrow(
      'cluster.url: tcp://a:***@h has scheme tcp',
    );
    expect(() => resolveConfig({ cluster: { heartbeatMs: 0 } })).toThrow('cluster.heartbeatMs');
    expect(() => resolveConfig({ cluster: { nodeId: 'has space' } })).toThrow('cluster.nodeId');
    expect(() => resolveConfig({ cluster: { readBatch: 0 } })).toThrow('cluster.readBatch');
  });

  it('refuses a node TTL that a live node could outlast between heartbeats', () => {
    expect(() => resolveConfig({ cluster: { heartbeatMs: 2000, nodeTtlMs: 2000 } })).toThrow(
      /nodeTtlMs \(2000\) must be greater than cluster.heartbeatMs/,
    );
  });

  it('derives the node id from host and a fixed TCP port, else makes one up', () => {
    const fixed = clusterOptions(resolveConfig({ tcpPort: 61613, cluster: { url: 'redis://h' } }));
    expect(fixed?.nodeId).toMatch(/:61613$/);
    const ephemeral = clusterOptions(resolveConfig({ tcpPort: 0, cluster: { url: 'redis://h' } }));
    expect(ephemeral?.nodeId).toMatch(/-[0-9a-f]{8}$/);
    const named = clusterOptions(resolveConfig({ cluster: { url: 'redis://h', nodeId: 'n1' } }));
    expect(named?.nodeId).toBe('n1');
  });
});
