/**
 * Queues across nodes (Redis Streams, one consumer group per queue): each
 * message reaches exactly one consumer in the whole cluster; NACK and a
 * node's death hand messages on with `redelivered:true` and their count.
 */
import { describe, expect, it, vi } from 'vitest';
import { startCluster } from '../../helpers/cluster.js';
import type { Frame } from '../../helpers/frames.js';
import { sendAck, sendNack } from '../../helpers/persistence.js';
import { type TcpStompClient, uniqueName } from '../../helpers/raw-client.js';
import { HAS_REDIS } from '../../helpers/redis-server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });

/** Collect MESSAGEs on `c`, ACKing each, until `stop()`; returns their bodies. */
function consumeAll(c: TcpStompClient, into: string[]): void {
  const loop = async () => {
    for (;;) {
      let f: Frame;
      try {
        f = await c.message(() => true, 60_000);
      } catch {
        return;
      }
      into.push(f.bodyText);
      sendAck(c, f);
    }
  };
  void loop();
}

describe.skipIf(!HAS_REDIS)('queues across a cluster', () => {
  it('delivers every message exactly once to consumers spread over three nodes', async () => {
    const { nodes, redis } = await startCluster(3);
    const queue = `/queue/${uniqueName('work')}`;
    const received: string[][] = [[], [], []];
    for (const [i, node] of nodes.entries()) {
      const c = await node.connectTcp({}, `consumer-${i}`);
      await c.subscribe(queue, 's', { ack: 'client-individual', 'activemq.prefetchSize': '5' });
      consumeAll(c, received[i]!);
    }
    const total = 300;
    // Producers on two different nodes.
    const producers = [await nodes[0]!.connectTcp({}, 'p0'), await nodes[2]!.connectTcp({}, 'p2')];
    await Promise.all(
      producers.map(async (p, k) => {
        for (let n = 0; n < total / 2; n++) {
          p.send(
            'SEND',
            { destination: queue, persistent: 'true', receipt: `r${n}` },
            `p${k}-${n}`,
          );
          // Every 50th, and so the last (149): all 150 are in Redis when the last RECEIPT is in.
          if (n % 50 === 49) await p.expectReceipt(`r${n}`, 20_000);
        }
      }),
    );
    const deadline = Date.now() + 30_000;
    while (received.flat().length < total && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const all = received.flat();
    const expected = [0, 1].flatMap((k) =>
      Array.from({ length: total / 2 }, (_, n) => `p${k}-${n}`),
    );
    expect([...all].sort()).toEqual([...expected].sort());
    expect(new Set(all).size).toBe(total);
    // Consumers on all three nodes took part (each can hold only 5 unacked at a time).
    for (const got of received) expect(got.length).toBeGreaterThan(0);
    // Each producer's messages reach each consumer in the order they were sent.
    for (const got of received) {
      for (const k of [0, 1]) {
        const mine = got.filter((b) => b.startsWith(`p${k}-`)).map((b) => Number(b.split('-')[1]));
        expect(mine).toEqual([...mine].sort((x, y) => x - y));
      }
    }
    // Everything acknowledged is gone from Redis (XACK + XDEL).
    await new Promise((r) => setTimeout(r, 300));
    expect(redis.cli('XLEN', `stompede:q:${queue.slice(7)}`)).toBe('0');
  });

  it('keeps messages sent before any node consumed the queue', async () => {
    const { nodes } = await startCluster(2);
    const queue = `/queue/${uniqueName('early')}`;
    const p = await nodes[0]!.connectTcp({}, 'p');
    for (let n = 1; n <= 5; n++) await p.publish(queue, `m${n}`, { persistent: 'true' });
    const c = await nodes[1]!.connectTcp({}, 'c');
    await c.subscribe(queue, 's');
    expect((await c.messages(5)).map((f) => f.bodyText)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('redelivers a NACKed message on another node with redelivered:true and its count', async () => {
    const { nodes } = await startCluster(2);
    const queue = `/queue/${uniqueName('nack')}`;
    const a = await nodes[0]!.connectTcp({}, 'a');
    await a.subscribe(queue, 's', { ack: 'client-individual' });
    const p = await nodes[0]!.connectTcp({}, 'p');
    await p.publish(queue, 'once', { persistent: 'true' });
    const first = await a.message();
    expect(first.headers.redelivered).toBeUndefined();
    sendNack(a, first);
    const second = await a.message();
    expect(second.headers.redelivered).toBe('true');
    expect(second.headers['redelivery-count']).toBe('1');
    // A leaves without acking: the message goes back to the cluster, where B takes it.
    await a.disconnect();
    const b = await nodes[1]!.connectTcp({}, 'b');
    await b.subscribe(queue, 's', { ack: 'client-individual' });
    const third = await b.message(() => true, 10_000);
    expect(third.bodyText).toBe('once');
    expect(third.headers['message-id']).toBe(first.headers['message-id']);
    expect(third.headers.redelivered).toBe('true');
    expect(third.headers['redelivery-count']).toBe('2');
    sendAck(b, third);
    await b.expectNoMessage(400);
  });

  it('hands the unacked messages of a node killed with -9 to a live node, flagged redelivered', async () => {
    const { nodes } = await startCluster(2);
    const [a, bNode] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const queue = `/queue/${uniqueName('crash')}`;
    const holder = await a.connectTcp({}, 'holder');
    await holder.subscribe(queue, 's', { ack: 'client-individual', 'activemq.prefetchSize': '10' });
    const p = await bNode.connectTcp({}, 'p');
    for (let n = 1; n <= 10; n++) await p.publish(queue, `m${n}`, { persistent: 'true' });
    const held = await holder.messages(10);
    expect(held.every((f) => f.headers.redelivered === undefined)).toBe(true);
    // Ack the first two: those must not come back.
    sendAck(holder, held[0]!);
    await holder.sendWithReceipt('ACK', { id: held[1]!.headers.ack! });
    await a.kill9();
    const survivor = await bNode.connectTcp({}, 'survivor');
    await survivor.subscribe(queue, 's', { ack: 'client-individual' });
    const back = await survivor.messages(8, () => true, 15_000);
    expect(back.map((f) => f.bodyText)).toEqual(['m3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10']);
    expect(back.every((f) => f.headers.redelivered === 'true')).toBe(true);
    expect(back.every((f) => Number(f.headers['redelivery-count']) >= 1)).toBe(true);
    for (const f of back) sendAck(survivor, f);
    await survivor.expectNoMessage(600);
  });
});
