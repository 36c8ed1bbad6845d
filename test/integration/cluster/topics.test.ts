/**
 * Topics across nodes: a publish on any node reaches every subscriber on
 * every node exactly once per subscription, wildcards included.
 */
import { describe, expect, it, vi } from 'vitest';
import { startCluster } from '../../helpers/cluster.js';
import type { Frame } from '../../helpers/frames.js';
import { uniqueName } from '../../helpers/raw-client.js';
import { HAS_REDIS } from '../../helpers/redis-server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });

const bodies = (frames: Frame[]) => frames.map((f) => f.bodyText);

describe.skipIf(!HAS_REDIS)('topics across a cluster', () => {
  it('fans a publish out to subscribers on every node, once per subscription', async () => {
    const { nodes } = await startCluster(3);
    const topic = `/topic/${uniqueName('fan')}`;
    const subscribers = [];
    for (const [i, node] of nodes.entries()) {
      // Two subscriptions per node: one Redis subscription serves both.
      const c = await node.connectTcp({}, `sub-${i}`);
      await c.subscribe(topic, 'a');
      await c.subscribe(topic, 'b');
      subscribers.push(c);
    }
    const publisher = await nodes[0]!.connectTcp({}, 'pub');
    for (let n = 1; n <= 20; n++) await publisher.publish(topic, `m${n}`);
    const expected = Array.from({ length: 20 }, (_, i) => `m${i + 1}`);
    for (const c of subscribers) {
      const got = await c.messages(40);
      expect(bodies(got.filter((f) => f.headers.subscription === 'a'))).toEqual(expected);
      expect(bodies(got.filter((f) => f.headers.subscription === 'b'))).toEqual(expected);
      // Same message-id on every node: it is one message, not a copy per node.
      expect(new Set(got.map((f) => f.headers['message-id'])).size).toBe(20);
      await c.expectNoMessage();
    }
  });

  it('delivers to wildcard subscriptions on other nodes exactly once, next to literal ones', async () => {
    const { nodes } = await startCluster(2);
    const base = uniqueName('w');
    const b = await nodes[1]!.connectTcp({}, 'b');
    await b.subscribe(`/topic/${base}.*`, 'star');
    await b.subscribe(`/topic/${base}.>`, 'rest');
    await b.subscribe(`/topic/${base}.x`, 'literal');
    const a = await nodes[0]!.connectTcp({}, 'a');
    await a.publish(`/topic/${base}.x`, 'one');
    await a.publish(`/topic/${base}.y.z`, 'two');
    await a.publish(`/topic/other.${base}`, 'not-matching');
    const got = await b.messages(4);
    const by = (id: string) => bodies(got.filter((f) => f.headers.subscription === id));
    expect(by('star')).toEqual(['one']);
    expect(by('rest')).toEqual(['one', 'two']);
    expect(by('literal')).toEqual(['one']);
    await b.expectNoMessage(400);
  });

  it('serves local subscribers of the publishing node once (no echo through Redis)', async () => {
    const { nodes } = await startCluster(2);
    const topic = `/topic/${uniqueName('echo')}`;
    const local = await nodes[0]!.connectTcp({}, 'local');
    await local.subscribe(topic, 's');
    const remote = await nodes[1]!.connectTcp({}, 'remote');
    await remote.subscribe(topic, 's');
    const publisher = await nodes[0]!.connectTcp({}, 'pub');
    await publisher.publish(topic, 'hello');
    expect(bodies(await local.messages(1))).toEqual(['hello']);
    expect(bodies(await remote.messages(1))).toEqual(['hello']);
    await local.expectNoMessage(400);
    await remote.expectNoMessage(0);
  });

  it('stops hearing a topic from other nodes once its last local subscriber leaves', async () => {
    const { nodes, redis } = await startCluster(2);
    const name = uniqueName('leave');
    const b = await nodes[1]!.connectTcp({}, 'b');
    await b.subscribe(`/topic/${name}`, 's1');
    await b.subscribe(`/topic/${name}`, 's2');
    expect(redis.cli('PUBSUB', 'NUMSUB', `stompede:t:${name}`)).toBe(`stompede:t:${name}\n1`);
    await b.unsubscribe('s1');
    expect(redis.cli('PUBSUB', 'NUMSUB', `stompede:t:${name}`)).toBe(`stompede:t:${name}\n1`);
    await b.unsubscribe('s2');
    await b.sendWithReceipt('SEND', { destination: '/topic/flush' }, 'x');
    const deadline = Date.now() + 5000;
    while (redis.cli('PUBSUB', 'NUMSUB', `stompede:t:${name}`) !== `stompede:t:${name}\n0`) {
      if (Date.now() > deadline) throw new Error('node B still subscribed in Redis');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});
