/**
 * Topic history shared by the cluster: kept in a capped Redis stream per
 * topic, so a node started later serves what was published before it
 * started, with no gap and no duplicate between history and live delivery.
 */
import { describe, expect, it, vi } from 'vitest';
import { startCluster } from '../../helpers/cluster.js';
import { uniqueName } from '../../helpers/raw-client.js';
import { HAS_REDIS } from '../../helpers/redis-server.js';

vi.setConfig({ testTimeout: 90_000, hookTimeout: 30_000 });

describe.skipIf(!HAS_REDIS)('topic history across a cluster', () => {
  it('a node started later replays history published on the others before it started, in publish order', async () => {
    const logs = uniqueName('logs');
    const cluster = await startCluster(2, {
      destinations: [{ match: `/topic/${logs}.>`, historyMaxMessages: 5 }],
    });
    const [one, two] = cluster.nodes;
    const publishers = [await one!.connectTcp({}, 'pub-1'), await two!.connectTcp({}, 'pub-2')];
    // Two topics, alternating nodes: 8 lines each, of which each topic keeps its last 5.
    for (let n = 1; n <= 8; n++) {
      await publishers[n % 2]!.publish(`/topic/${logs}.a`, `a${n}`);
      await publishers[(n + 1) % 2]!.publish(`/topic/${logs}.b`, `b${n}`);
    }
    expect(Number(cluster.redis.cli('XLEN', `stompede:h:${logs}.a`))).toBeGreaterThanOrEqual(5);

    const three = await cluster.addNode();
    const tail = await three.connectTcp({}, 'tail');
    await tail.subscribe(`/topic/${logs}.a`, 'a', { 'x-history-last': '10' });
    const replayed = await tail.messages(5, () => true, 10_000);
    expect(replayed.map((f) => f.bodyText)).toEqual(['a4', 'a5', 'a6', 'a7', 'a8']);
    expect(replayed.every((f) => f.headers['x-history'] === 'true')).toBe(true);
    await tail.expectNoMessage(300);

    // A wildcard history request merges the topics in the order they were published.
    const both = await three.connectTcp({}, 'both');
    await both.subscribe(`/topic/${logs}.>`, 'w', { 'x-history-last': '4' });
    expect((await both.messages(4, () => true, 10_000)).map((f) => f.bodyText)).toEqual([
      'a7',
      'b7',
      'a8',
      'b8',
    ]);
    await both.expectNoMessage(300);

    // Then live, once, from any node.
    await publishers[0]!.publish(`/topic/${logs}.a`, 'a9');
    expect((await tail.message(() => true, 10_000)).bodyText).toBe('a9');
    await tail.expectNoMessage(300);
  });

  it('no gap and no duplicate between history and live for a node that starts while messages flow', async () => {
    const topic = uniqueName('flow');
    const cluster = await startCluster(2, {
      destinations: [{ match: `/topic/${topic}`, historyMaxMessages: 10_000 }],
    });
    const publisher = await cluster.nodes[0]!.connectTcp({}, 'pub');
    let sent = 0;
    let stop = false;
    const flowing = (async () => {
      while (!stop) {
        sent++;
        await publisher.publish(`/topic/${topic}`, `m${sent}`);
      }
    })();
    const three = await cluster.addNode();
    const tail = await three.connectTcp({}, 'tail');
    await tail.subscribe(`/topic/${topic}`, 't', { 'x-history-since': '0' });
    // Let some arrive live too, then stop and mark the end.
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await flowing;
    await publisher.publish(`/topic/${topic}`, 'end');
    const bodies: string[] = [];
    for (;;) {
      const f = await tail.message(() => true, 20_000);
      if (f.bodyText === 'end') break;
      bodies.push(f.bodyText);
    }
    expect(sent).toBeGreaterThan(0);
    expect(bodies).toEqual(Array.from({ length: sent }, (_, i) => `m${i + 1}`));
  });
});
