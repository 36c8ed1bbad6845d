/**
 * Joining a cluster: a node registers itself in Redis; a bad or unreachable
 * Redis URL fails fast, naming the URL (password masked) and the reason; a
 * second node with a live node's id refuses to start.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { CLI_PATH } from '../../helpers/broker-process.js';
import { startNode } from '../../helpers/cluster.js';
import { tempDataDir } from '../../helpers/persistence.js';
import { HAS_REDIS, startRedis } from '../../helpers/redis-server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });

/** Run `stompede serve` expecting it to exit before listening; returns its exit code and output. */
async function serveFails(
  args: string[],
): Promise<{ code: number | null; output: string; ms: number }> {
  const dataDir = await tempDataDir('stompede-cluster-');
  const began = Date.now();
  const child = spawn(
    process.execPath,
    [
      CLI_PATH,
      'serve',
      '--host',
      '127.0.0.1',
      '--tcp-port',
      '0',
      '--ws-port',
      'off',
      '--store',
      'memory',
      '--data-dir',
      dataDir,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(killer);
  return { code, output, ms: Date.now() - began };
}

describe.skipIf(!HAS_REDIS)('joining a cluster', () => {
  it('registers the node in Redis with its address and a TTL', async () => {
    const redis = await startRedis({ appendonly: false });
    const node = await startNode(redis.url, 'alpha');
    const record = JSON.parse(redis.cli('GET', 'stompede:node:alpha')) as Record<string, unknown>;
    expect(record.id).toBe('alpha');
    expect(record.address === '' || record.address === `127.0.0.1:${node.port}`).toBe(true);
    const ttl = Number(redis.cli('PTTL', 'stompede:node:alpha'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
    expect(redis.cli('SMEMBERS', 'stompede:nodes')).toBe('alpha');
    // The heartbeat refreshes it (with the address, once the node listens).
    await new Promise((r) => setTimeout(r, 1500));
    const later = JSON.parse(redis.cli('GET', 'stompede:node:alpha')) as Record<string, unknown>;
    expect(later.address).toBe(`127.0.0.1:${node.port}`);
  });

  it('refuses to start a second node with the id of a live one, saying why', async () => {
    const redis = await startRedis({ appendonly: false });
    await startNode(redis.url, 'twin');
    const { code, output } = await serveFails([
      '--cluster',
      redis.url,
      '--cluster-node-id',
      'twin',
    ]);
    expect(code).toBe(2);
    expect(output).toContain('node id twin is already in use by a live node');
    expect(output).toMatch(/cluster\.nodeId/);
  });

  it('fails fast on an unreachable Redis, naming the URL with its password masked, and the reason', async () => {
    const redis = await startRedis({ appendonly: false });
    await redis.stop();
    const url = `redis://admin:s3cret@127.0.0.1:${redis.port}/0`;
    const { code, output } = await serveFails(['--cluster', url]);
    expect(code).toBe(2);
    expect(output).toContain(`cannot use Redis at redis://admin:***@127.0.0.1:${redis.port}/0`);
    expect(output).toContain('ECONNREFUSED');
    expect(output).not.toContain('s3cret');
  });

  it('fails fast on a wrong password', async () => {
    const redis = await startRedis({ appendonly: false });
    redis.cli('CONFIG', 'SET', 'requirepass', 'right');
    const { code, output } = await serveFails([
      '--cluster',
      `redis://:wrong@127.0.0.1:${redis.port}`,
    ]);
    expect(code).toBe(2);
    expect(output).toContain(`redis://:***@127.0.0.1:${redis.port}`);
    expect(output).toMatch(/WRONGPASS|invalid password/i);
    expect(output).not.toContain('wrong@');
  });

  it('rejects a URL that is not redis:// before connecting anywhere', async () => {
    const { code, output } = await serveFails(['--cluster', 'http://user:pw@localhost:6379']);
    expect(code).toBe(2);
    expect(output).toContain('cluster.url: http://user:***@localhost:6379 has scheme http');
    expect(output).not.toContain(':pw@');
  });
});
