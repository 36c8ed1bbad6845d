/**
 * Features that reach across nodes beyond plain topics and queues: replies
 * to a temp queue sent on another node, durable subscriptions and topic
 * history that collect messages published on any node.
 */
import { describe, expect, it, vi } from 'vitest';
import { type BrokerContext, startBroker } from '../../helpers/broker.js';
import { TEST_CLUSTER_TIMINGS } from '../../helpers/cluster.js';
import { uniqueName } from '../../helpers/raw-client.js';
import { HAS_REDIS, startRedis } from '../../helpers/redis-server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });

async function twoNodes(
  config: Record<string, unknown> = {},
): Promise<[BrokerContext, BrokerContext]> {
  const redis = await startRedis({ appendonly: false });
  const cluster = { ...TEST_CLUSTER_TIMINGS, url: redis.url };
  const a = await startBroker({ ...config, cluster: { ...cluster, nodeId: 'a' } });
  const b = await startBroker({ ...config, cluster: { ...cluster, nodeId: 'b' } });
  return [a, b];
}

describe.skipIf(!HAS_REDIS)('cluster-wide temp queues, durable subscriptions and history', () => {
  it("routes a reply sent on node B to the requester's temp queue on node A", async () => {
    const [a, b] = await twoNodes();
    const requests = `/queue/${uniqueName('requests')}`;
    const requester = await a.connectTcp({}, 'requester');
    await requester.subscribe('/temp-queue/answers', 'answers');
    const responder = await b.connectTcp({}, 'responder');
    await responder.subscribe(requests, 'r');
    await requester.publish(requests, 'question', {
      'reply-to': '/temp-queue/answers',
      'correlation-id': 'c-1',
    });
    const request = await responder.message(() => true, 10_000);
    const replyTo = request.headers['reply-to']!;
    expect(replyTo).toMatch(/^\/reply-queue\//);
    await responder.publish(replyTo, 'answer', { 'correlation-id': 'c-1' });
    const answer = await requester.message(() => true, 10_000);
    expect(answer.bodyText).toBe('answer');
    expect(answer.headers['correlation-id']).toBe('c-1');
    expect(answer.headers.subscription).toBe('answers');
  });

  it('fills a durable subscription on node B with messages published on node A while it is away', async () => {
    const [a, b] = await twoNodes();
    const topic = `/topic/${uniqueName('durable')}`;
    const clientId = uniqueName('client');
    const first = await b.connectTcp({ 'client-id': clientId }, 'durable-1');
    await first.subscribe(topic, 'd', { 'activemq.subscriptionName': 'keep' });
    await first.disconnect();
    const publisher = await a.connectTcp({}, 'publisher');
    for (let n = 1; n <= 3; n++) await publisher.publish(topic, `m${n}`, { persistent: 'true' });
    // The durable queue on B has them once the last one has crossed over.
    await new Promise((r) => setTimeout(r, 300));
    const again = await b.connectTcp({ 'client-id': clientId }, 'durable-2');
    await again.subscribe(topic, 'd', { 'activemq.subscriptionName': 'keep' });
    expect((await again.messages(3, () => true, 10_000)).map((f) => f.bodyText)).toEqual([
      'm1',
      'm2',
      'm3',
    ]);
  });

  it('keeps history on every node of topics published on any node', async () => {
    const logs = uniqueName('logs');
    const [a, b] = await twoNodes({
      destinations: [{ match: `/topic/${logs}.>`, historyMaxMessages: 10 }],
    });
    const publisher = await a.connectTcp({}, 'publisher');
    for (let n = 1; n <= 3; n++) await publisher.publish(`/topic/${logs}.app`, `line ${n}`);
    await new Promise((r) => setTimeout(r, 300));
    const tail = await b.connectTcp({}, 'tail');
    await tail.subscribe(`/topic/${logs}.app`, 't', { 'x-history-last': '10' });
    expect((await tail.messages(3)).map((f) => f.bodyText)).toEqual(['line 1', 'line 2', 'line 3']);
    await publisher.publish(`/topic/${logs}.app`, 'line 4');
    expect((await tail.message(() => true, 10_000)).bodyText).toBe('line 4');
    await tail.expectNoMessage(300);
  });
});
