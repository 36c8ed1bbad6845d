/**
 * Durable subscriptions are the cluster's: their records live in Redis and
 * their messages in a stream each, so a subscriber that reconnects to any
 * node gets what was published on every node meanwhile, exactly once, and
 * its ACKs count everywhere. Deleting one deletes it everywhere; its owner
 * binding holds on every node.
 */
import { describe, expect, it, vi } from 'vitest';
import { startCluster } from '../../helpers/cluster.js';
import { PERSISTENT, sendAck } from '../../helpers/persistence.js';
import { type TcpStompClient, uniqueName } from '../../helpers/raw-client.js';
import { HAS_REDIS } from '../../helpers/redis-server.js';
import { expectErrorAndClose, usersFile } from '../security/auth-support.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });

const DURABLE = { 'activemq.subscriptionName': 'keep', ack: 'client-individual' };

/** Take `count` messages, ACKing each with a receipt so Redis has every ACK before we go on. */
async function takeAndAck(c: TcpStompClient, count: number): Promise<string[]> {
  const frames = await c.messages(count, () => true, 20_000);
  for (const [i, f] of frames.entries()) sendAck(c, f, `ack-${i}`);
  for (let i = 0; i < frames.length; i++) await c.expectReceipt(`ack-${i}`, 10_000);
  return frames.map((f) => f.bodyText);
}

describe.skipIf(!HAS_REDIS)('durable subscriptions across a cluster', () => {
  it('a subscriber created on node 1 gets, on node 2, what every node published meanwhile, once; its ACKs hold on node 3', async () => {
    const { nodes, redis } = await startCluster(3);
    const topic = `/topic/${uniqueName('orders')}`;
    const clientId = uniqueName('client');
    const first = await nodes[0]!.connectTcp({ 'client-id': clientId }, 'durable-1');
    await first.subscribe(topic, 'd', DURABLE);
    await first.disconnect();
    expect(redis.cli('HGET', `stompede:ds:${clientId}:keep`, 'destination')).toBe(topic);

    const publishers = await Promise.all(nodes.map((n, i) => n.connectTcp({}, `pub-${i}`)));
    const sent: string[] = [];
    for (let round = 1; round <= 2; round++) {
      for (const [i, p] of publishers.entries()) {
        await p.publish(topic, `n${i + 1}-${round}`, PERSISTENT);
        sent.push(`n${i + 1}-${round}`);
      }
    }

    const second = await nodes[1]!.connectTcp({ 'client-id': clientId }, 'durable-2');
    await second.subscribe(topic, 'd', DURABLE);
    // Each publish was in Redis before its RECEIPT: the stream holds them in publish order.
    expect(await takeAndAck(second, sent.length)).toEqual(sent);
    await second.expectNoMessage(500);
    await second.disconnect();

    // Acknowledged on node 2: nothing left for node 3; new publishes still arrive, live.
    const third = await nodes[2]!.connectTcp({ 'client-id': clientId }, 'durable-3');
    await third.subscribe(topic, 'd', DURABLE);
    await third.expectNoMessage(500);
    await publishers[0]!.publish(topic, 'live', PERSISTENT);
    expect(await takeAndAck(third, 1)).toEqual(['live']);
    await third.expectNoMessage(300);
  });

  it('a subscriber that leaves unacknowledged messages gets them again on another node, marked redelivered', async () => {
    const { nodes } = await startCluster(3);
    const topic = `/topic/${uniqueName('jobs')}`;
    const clientId = uniqueName('client');
    const first = await nodes[0]!.connectTcp({ 'client-id': clientId }, 'durable-1');
    await first.subscribe(topic, 'd', DURABLE);
    const publisher = await nodes[2]!.connectTcp({}, 'pub');
    await publisher.publish(topic, 'one', PERSISTENT);
    await publisher.publish(topic, 'two', PERSISTENT);
    const unacked = await first.messages(2, () => true, 20_000);
    expect(unacked.map((f) => f.bodyText)).toEqual(['one', 'two']);
    sendAck(first, unacked[0]!, 'ack-one');
    await first.expectReceipt('ack-one', 10_000);
    await first.disconnect();

    const again = await nodes[1]!.connectTcp({ 'client-id': clientId }, 'durable-2');
    await again.subscribe(topic, 'd', DURABLE);
    const redelivered = await again.message(() => true, 20_000);
    expect(redelivered.bodyText).toBe('two');
    expect(redelivered.headers.redelivered).toBe('true');
    await again.expectNoMessage(500);
  });

  it('UNSUBSCRIBE naming it on node 3 deletes it on every node, messages and all', async () => {
    const { nodes, redis } = await startCluster(3);
    const topic = `/topic/${uniqueName('news')}`;
    const clientId = uniqueName('client');
    const first = await nodes[0]!.connectTcp({ 'client-id': clientId }, 'durable-1');
    await first.subscribe(topic, 'd', DURABLE);
    await first.disconnect();
    const publisher = await nodes[1]!.connectTcp({}, 'pub');
    await publisher.publish(topic, 'before', PERSISTENT);

    const deleter = await nodes[2]!.connectTcp({ 'client-id': clientId }, 'deleter');
    await deleter.sendWithReceipt('UNSUBSCRIBE', { id: 'd', 'activemq.subscriptionName': 'keep' });
    expect(redis.cli('SMEMBERS', 'stompede:ds')).toBe('');
    expect(redis.cli('EXISTS', `stompede:ds:${clientId}:keep`)).toBe('0');
    await deleter.disconnect();

    // Nodes 1 and 2 heard of the deletion: this is not kept for anyone.
    await new Promise((r) => setTimeout(r, 200));
    await publisher.publish(topic, 'after', PERSISTENT);
    const back = await nodes[0]!.connectTcp({ 'client-id': clientId }, 'durable-2');
    await back.subscribe(topic, 'd', DURABLE);
    await back.expectNoMessage(500);
    await publisher.publish(topic, 'fresh', PERSISTENT);
    expect(await takeAndAck(back, 1)).toEqual(['fresh']);
  });

  it('refuses to create or delete one while Redis is down, changing nothing', async () => {
    const { nodes, redis } = await startCluster(1);
    const topic = `/topic/${uniqueName('outage')}`;
    const clientId = uniqueName('client');
    const first = await nodes[0]!.connectTcp({ 'client-id': clientId }, 'durable-1');
    await first.subscribe(topic, 'd', DURABLE);
    await first.disconnect();
    await redis.stop();

    const creator = await nodes[0]!.connectTcp({ 'client-id': uniqueName('other') }, 'creator');
    creator.send('SUBSCRIBE', {
      destination: topic,
      id: 'n',
      'activemq.subscriptionName': 'new',
      receipt: 'create',
    });
    const refusedCreate = await expectErrorAndClose(creator);
    expect(refusedCreate.headers.message).toBe('Redis is unavailable');
    const deleter = await nodes[0]!.connectTcp({ 'client-id': clientId }, 'deleter');
    deleter.send('UNSUBSCRIBE', { id: 'd', 'activemq.subscriptionName': 'keep', receipt: 'del' });
    expect((await expectErrorAndClose(deleter)).headers.message).toBe('Redis is unavailable');

    await redis.restart();
    expect(redis.cli('SMEMBERS', 'stompede:ds')).toBe(`${clientId}:keep`);
    // The node still has it too: once it is back on Redis, its publishes are kept for the subscriber.
    await expect
      .poll(
        async () => {
          const p = await nodes[0]!.connectTcp({}, 'pub');
          p.send('SEND', { destination: topic, persistent: 'true', receipt: 'kept' }, 'kept');
          const answer = await p.waitForFrame((f) => f.command !== 'MESSAGE', 'answer', 10_000);
          return answer.command;
        },
        { timeout: 20_000, interval: 200 },
      )
      .toBe('RECEIPT');
    const back = await nodes[0]!.connectTcp({ 'client-id': clientId }, 'durable-2');
    await back.subscribe(topic, 'd', DURABLE);
    expect(await takeAndAck(back, 1)).toEqual(['kept']);
  });

  it("an owner's client-id and durable subscription are refused to another user on every node", async () => {
    const users: Record<string, [string, string[]]> = {
      alice: ['a-pass', []],
      bob: ['b-pass', []],
    };
    const file = await usersFile(users);
    const { nodes } = await startCluster(3, {
      auth: { usersFile: file, rules: [{ match: '>', read: ['*'], write: ['*'] }] },
    });
    const topic = `/topic/${uniqueName('private')}`;
    const alice = await nodes[0]!.connectTcp(
      { login: 'alice', passcode: 'a-pass', 'client-id': 'alice-app' },
      'alice',
    );
    await alice.subscribe(topic, 'd', DURABLE);
    await alice.disconnect();

    for (const node of nodes.slice(1)) {
      const bob = await node.tcp('bob');
      bob.send('CONNECT', {
        'accept-version': '1.2',
        host: 'localhost',
        login: 'bob',
        passcode: 'b-pass',
        'client-id': 'alice-app',
      });
      expect((await expectErrorAndClose(bob)).headers.message).toBe(
        'client-id alice-app belongs to another user',
      );
    }
    // Alice herself may use it on another node, and finds what was kept for her.
    const publisher = await nodes[2]!.connectTcp({ login: 'bob', passcode: 'b-pass' }, 'pub');
    await publisher.publish(topic, 'for alice', PERSISTENT);
    const back = await nodes[1]!.connectTcp(
      { login: 'alice', passcode: 'a-pass', 'client-id': 'alice-app' },
      'alice-2',
    );
    await back.subscribe(topic, 'd', DURABLE);
    expect(await takeAndAck(back, 1)).toEqual(['for alice']);
  });
});
