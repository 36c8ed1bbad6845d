/**
 * One live connection per client-id in the whole cluster (ActiveMQ's rule,
 * which one node enforces for itself): a Redis key per client-id names the
 * node whose connection holds it, released when that connection ends and
 * expiring with the node's TTL when the node dies.
 */
import { describe, expect, it, vi } from 'vitest';
import type { BrokerProcess } from '../../helpers/broker-process.js';
import { startCluster } from '../../helpers/cluster.js';
import { uniqueName } from '../../helpers/raw-client.js';
import { HAS_REDIS } from '../../helpers/redis-server.js';
import { expectErrorAndClose } from '../security/auth-support.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });

/** CONNECT with `clientId` that the node refuses: the ERROR's message. */
async function refusedConnect(node: BrokerProcess, clientId: string): Promise<string | undefined> {
  const c = await node.tcp('refused');
  c.send('CONNECT', { 'accept-version': '1.2', host: 'localhost', 'client-id': clientId });
  return (await expectErrorAndClose(c)).headers.message;
}

describe.skipIf(!HAS_REDIS)('client-ids across a cluster', () => {
  it('refuses a client-id connected on another node, and frees it when that connection ends', async () => {
    const { nodes, redis } = await startCluster(3);
    const clientId = uniqueName('app');
    const holder = await nodes[0]!.connectTcp({ 'client-id': clientId }, 'holder');
    expect(redis.cli('GET', `stompede:cid:${clientId}`)).toBe('node-1');
    for (const node of nodes.slice(1)) {
      expect(await refusedConnect(node, clientId)).toBe(
        `client-id ${clientId} is already connected`,
      );
    }
    // The refused attempts took nothing: the holder still has it.
    expect(redis.cli('GET', `stompede:cid:${clientId}`)).toBe('node-1');
    await holder.disconnect();
    const next = await nodes[2]!.connectTcp({ 'client-id': clientId }, 'next');
    expect(redis.cli('GET', `stompede:cid:${clientId}`)).toBe('node-3');
    expect(await refusedConnect(nodes[0]!, clientId)).toBe(
      `client-id ${clientId} is already connected`,
    );
    await next.disconnect();
    await expect.poll(() => redis.cli('EXISTS', `stompede:cid:${clientId}`)).toBe('0');
  });

  it("frees a killed node's client-ids once its registration expires", async () => {
    const { nodes, redis } = await startCluster(2);
    const clientId = uniqueName('app');
    await nodes[0]!.connectTcp({ 'client-id': clientId }, 'holder');
    expect(await refusedConnect(nodes[1]!, clientId)).toBe(
      `client-id ${clientId} is already connected`,
    );
    await nodes[0]!.kill9();
    await expect
      .poll(() => redis.cli('EXISTS', `stompede:cid:${clientId}`), { timeout: 10_000 })
      .toBe('0');
    const taken = await nodes[1]!.connectTcp({ 'client-id': clientId }, 'after');
    expect(redis.cli('GET', `stompede:cid:${clientId}`)).toBe('node-2');
    // Still held while connected: refreshed with the heartbeat, past the TTL.
    await new Promise((r) => setTimeout(r, 1500));
    expect(redis.cli('GET', `stompede:cid:${clientId}`)).toBe('node-2');
    await taken.disconnect();
  });
});
