/**
 * Redis goes away and comes back: nodes keep their client connections,
 * refuse SENDs that need Redis with an ERROR saying so, and recover by
 * themselves; nothing a producer got a RECEIPT for is lost, and nothing a
 * consumer acknowledged comes back.
 */
import { describe, expect, it, vi } from 'vitest';
import type { BrokerProcess } from '../../helpers/broker-process.js';
import { startCluster } from '../../helpers/cluster.js';
import type { Frame } from '../../helpers/frames.js';
import { sendAck } from '../../helpers/persistence.js';
import { type TcpStompClient, uniqueName } from '../../helpers/raw-client.js';
import { HAS_REDIS } from '../../helpers/redis-server.js';

vi.setConfig({ testTimeout: 90_000, hookTimeout: 30_000 });

/** SEND with a receipt; resolves to the RECEIPT or the ERROR that answered it. */
async function trySend(c: TcpStompClient, destination: string, body: string): Promise<Frame> {
  const receipt = uniqueName('r');
  c.send('SEND', { destination, persistent: 'true', receipt }, body);
  return c.waitForFrame(
    (f) =>
      f.headers['receipt-id'] === receipt && (f.command === 'RECEIPT' || f.command === 'ERROR'),
    `RECEIPT or ERROR for ${body}`,
    10_000,
  );
}

/** Send on fresh connections until one is accepted again (each refusal closes its connection). */
async function sendOnceRecovered(
  node: BrokerProcess,
  destination: string,
  body: string,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const c = await node.connectTcp({}, 'retry');
    const answer = await trySend(c, destination, body);
    if (answer.command === 'RECEIPT') return;
    if (Date.now() > deadline) throw new Error(`still refused after 30 s: ${answer.bodyText}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!HAS_REDIS)('a Redis outage', () => {
  it('refuses SENDs with a clear ERROR meanwhile, keeps connections, and loses nothing acknowledged', async () => {
    const { nodes, redis } = await startCluster(2);
    const [a, b] = nodes as [BrokerProcess, BrokerProcess];
    const queue = `/queue/${uniqueName('outage')}`;
    const topic = `/topic/${uniqueName('outage')}`;

    const listener = await b.connectTcp({}, 'topic-listener');
    await listener.subscribe(topic, 't');
    const holder = await b.connectTcp({}, 'holder');
    await holder.subscribe(queue, 'h', { ack: 'client-individual', 'activemq.prefetchSize': '1' });
    const producer = await a.connectTcp({}, 'producer');
    for (let n = 1; n <= 5; n++)
      expect((await trySend(producer, queue, `m${n}`)).command).toBe('RECEIPT');
    const held = await holder.message();
    expect(held.bodyText).toBe('m1');
    await holder.unsubscribe('h');

    await redis.stop();

    // Acknowledged while Redis is away: must not come back later.
    const acker = await b.connectTcp({}, 'acker');
    await acker.subscribe(queue, 'x', { ack: 'client-individual' });
    const idle = await a.connectTcp({}, 'idle');

    const refusedQueue = await trySend(producer, queue, 'during-1');
    expect(refusedQueue.command).toBe('ERROR');
    expect(refusedQueue.headers.message).toBe('Redis is unavailable');
    expect(refusedQueue.bodyText).toContain('was NOT accepted');
    const topicSender = await a.connectTcp({}, 'topic-sender');
    const refusedTopic = await trySend(topicSender, topic, 'during-2');
    expect(refusedTopic.command).toBe('ERROR');
    expect(refusedTopic.headers.message).toBe('Redis is unavailable');
    // Other clients stay connected, and new ones can connect.
    expect(listener.isClosed).toBe(false);
    expect(idle.isClosed).toBe(false);
    await (await b.connectTcp({}, 'newcomer')).disconnect();

    await redis.restart();

    await sendOnceRecovered(a, queue, 'm6');
    expect((await trySend(idle, queue, 'm7')).command).toBe('RECEIPT');
    // Topic fan-out across nodes is back too (B's subscription survived the outage).
    expect((await trySend(idle, topic, 'after')).command).toBe('RECEIPT');
    expect((await listener.message(() => true, 10_000)).bodyText).toBe('after');
    await listener.expectNoMessage(0);

    // Every message with a RECEIPT arrives, none twice; the refused ones never.
    const got: string[] = [];
    const deadline = Date.now() + 20_000;
    while (got.length < 7 && Date.now() < deadline) {
      const f = await acker.message(() => true, 20_000);
      got.push(f.bodyText);
      sendAck(acker, f);
    }
    expect([...got].sort()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
    await acker.expectNoMessage(800);
  });

  it('sends acknowledgements made during the outage once Redis is back', async () => {
    const { nodes, redis } = await startCluster(1);
    const node = nodes[0]!;
    const queue = `/queue/${uniqueName('late-ack')}`;
    const c = await node.connectTcp({}, 'c');
    for (let n = 1; n <= 3; n++) expect((await trySend(c, queue, `m${n}`)).command).toBe('RECEIPT');
    await c.subscribe(queue, 's', { ack: 'client-individual' });
    const frames = await c.messages(3);
    await redis.stop();
    for (const f of frames) sendAck(c, f);
    await new Promise((r) => setTimeout(r, 300));
    await redis.restart();
    await sendOnceRecovered(node, '/topic/ping', 'x');
    const deadline = Date.now() + 10_000;
    while (redis.cli('XLEN', `stompede:q:${queue.slice(7)}`) !== '0') {
      if (Date.now() > deadline)
        throw new Error('acknowledged messages still in Redis after the outage');
      await new Promise((r) => setTimeout(r, 50));
    }
    // And a new consumer does not get them again.
    await c.unsubscribe('s');
    const fresh = await node.connectTcp({}, 'fresh');
    await fresh.subscribe(queue, 's', { ack: 'client-individual' });
    await fresh.expectNoMessage(800);
  });
});
