/**
 * Durable topic subscriptions in both dialects (ActiveMQ: client-id +
 * activemq.subscriptionName; RabbitMQ: durable:true + auto-delete:false + id).
 */
import { describe, expect, it, vi } from 'vitest';
import type { BrokerContext } from '../../helpers/broker.js';
import {
  bodies,
  drainUntilSentinel,
  PERSISTENT,
  startLmdbBroker,
  tempDataDir,
} from '../../helpers/persistence.js';
import type { RawStompClient } from '../../helpers/raw-client.js';
import { uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

interface Dialect {
  name: string;
  /** CONNECT headers of the durable subscriber. */
  connect: (clientId: string) => Record<string, string>;
  subscribe: (c: RawStompClient, topic: string, name: string) => Promise<void>;
  /** UNSUBSCRIBE headers that remove the durable subscription `name`. */
  unsubscribeHeaders: (name: string) => Record<string, string>;
}

const ACTIVEMQ: Dialect = {
  name: 'ActiveMQ (client-id + activemq.subscriptionName)',
  connect: (clientId) => ({ 'client-id': clientId }),
  subscribe: (c, topic, name) =>
    c.subscribe(topic, `sub-${uniqueName('any')}`, { 'activemq.subscriptionName': name }),
  unsubscribeHeaders: (name) => ({ id: name, 'activemq.subscriptionName': name }),
};

const RABBITMQ: Dialect = {
  name: 'RabbitMQ (durable:true, auto-delete:false, id)',
  connect: (clientId) => ({ 'client-id': clientId }),
  subscribe: (c, topic, name) =>
    c.subscribe(topic, name, { durable: 'true', 'auto-delete': 'false' }),
  unsubscribeHeaders: (name) => ({ id: name, durable: 'true' }),
};

const RABBITMQ_NO_CLIENT_ID: Dialect = {
  ...RABBITMQ,
  name: 'RabbitMQ without client-id',
  connect: () => ({}),
};

async function lmdb(): Promise<BrokerContext> {
  return startLmdbBroker(await tempDataDir());
}

describe('durable topic subscriptions', () => {
  for (const d of [ACTIVEMQ, RABBITMQ, RABBITMQ_NO_CLIENT_ID]) {
    describe(d.name, () => {
      it('keeps persistent (not non-persistent) messages published while the subscriber is away', async () => {
        const b = await lmdb();
        const topic = `/topic/${uniqueName('dur')}`;
        const clientId = uniqueName('cid');
        const sub = await b.connectTcp(d.connect(clientId), 'subscriber');
        await d.subscribe(sub, topic, 'S');
        const pub = await b.connectTcp({}, 'pub');
        await pub.publish(topic, 'live-n', {});
        await pub.publish(topic, 'live-p', { ...PERSISTENT });
        expect(bodies(await sub.messages(2))).toEqual(['live-n', 'live-p']);
        await sub.disconnect();

        await pub.publish(topic, 'away-p1', { ...PERSISTENT });
        await pub.publish(topic, 'away-n', {});
        await pub.publish(topic, 'away-p2', { ...PERSISTENT });

        const back = await b.connectTcp(d.connect(clientId), 'subscriber again');
        await d.subscribe(back, topic, 'S');
        expect(bodies(await drainUntilSentinel(back, pub, topic))).toEqual(['away-p1', 'away-p2']);
      });

      it('removing the subscription with UNSUBSCRIBE stops keeping messages', async () => {
        const b = await lmdb();
        const topic = `/topic/${uniqueName('unsub')}`;
        const clientId = uniqueName('cid');
        const sub = await b.connectTcp(d.connect(clientId), 'subscriber');
        await d.subscribe(sub, topic, 'S');
        await sub.disconnect();
        const pub = await b.connectTcp({}, 'pub');
        await pub.publish(topic, 'kept', { ...PERSISTENT });

        // Remove it in a new session, without subscribing first.
        const remover = await b.connectTcp(d.connect(clientId), 'remover');
        await remover.unsubscribe('S', d.unsubscribeHeaders('S'));
        await remover.disconnect();
        await pub.publish(topic, 'not-kept', { ...PERSISTENT });

        const back = await b.connectTcp(d.connect(clientId), 'subscriber again');
        await d.subscribe(back, topic, 'S'); // a brand-new durable subscription
        expect(bodies(await drainUntilSentinel(back, pub, topic))).toEqual([]);
        await back.expectNoMessage();
      });

      it('removing the subscription while subscribed (UNSUBSCRIBE in the same session)', async () => {
        const b = await lmdb();
        const topic = `/topic/${uniqueName('unsub2')}`;
        const clientId = uniqueName('cid');
        const sub = await b.connectTcp(d.connect(clientId), 'subscriber');
        // Subscribe with id = name so the UNSUBSCRIBE id matches in both dialects.
        const extra: Record<string, string> =
          d === ACTIVEMQ
            ? { 'activemq.subscriptionName': 'S' }
            : { durable: 'true', 'auto-delete': 'false' };
        await sub.subscribe(topic, 'S', extra);
        await sub.unsubscribe('S', d.unsubscribeHeaders('S'));
        await sub.disconnect();
        const pub = await b.connectTcp({}, 'pub');
        await pub.publish(topic, 'not-kept', { ...PERSISTENT });
        const back = await b.connectTcp(d.connect(clientId), 'subscriber again');
        await d.subscribe(back, topic, 'S');
        expect(bodies(await drainUntilSentinel(back, pub, topic))).toEqual([]);
      });
    });
  }

  it('RabbitMQ dialect: the durable subscription and its backlog survive a clean restart', async () => {
    const dataDir = await tempDataDir();
    const topic = `/topic/${uniqueName('rabbit-restart')}`;
    const b1 = await startLmdbBroker(dataDir);
    const sub = await b1.connectTcp({}, 'subscriber');
    await RABBITMQ_NO_CLIENT_ID.subscribe(sub, topic, 'R');
    await sub.disconnect();
    const pub = await b1.connectTcp({}, 'pub');
    await pub.publish(topic, 'r1', { ...PERSISTENT });
    await pub.publish(topic, 'r2', { ...PERSISTENT });
    await b1.close();

    const b2 = await startLmdbBroker(dataDir);
    const pub2 = await b2.connectTcp({}, 'pub after restart');
    await pub2.publish(topic, 'r3', { ...PERSISTENT });
    const back = await b2.connectTcp({}, 'subscriber again');
    await RABBITMQ_NO_CLIENT_ID.subscribe(back, topic, 'R');
    expect(bodies(await drainUntilSentinel(back, pub2, topic))).toEqual(['r1', 'r2', 'r3']);
  });

  it('a durable subscription belongs to its client-id and name: another name or client-id does not get its backlog', async () => {
    const b = await lmdb();
    const topic = `/topic/${uniqueName('owner')}`;
    const clientId = uniqueName('cid');
    const sub = await b.connectTcp({ 'client-id': clientId }, 'subscriber');
    await ACTIVEMQ.subscribe(sub, topic, 'S');
    await sub.disconnect();
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(topic, 'for-S', { ...PERSISTENT });

    const other = await b.connectTcp({ 'client-id': uniqueName('other') }, 'other client-id');
    await ACTIVEMQ.subscribe(other, topic, 'S');
    const otherName = await b.connectTcp({ 'client-id': `${clientId}-2` }, 'other name');
    await ACTIVEMQ.subscribe(otherName, topic, 'T');
    const owner = await b.connectTcp({ 'client-id': clientId }, 'owner');
    await ACTIVEMQ.subscribe(owner, topic, 'S');
    expect(bodies(await drainUntilSentinel(owner, pub, topic))).toEqual(['for-S']);
    // The sentinel (published after all three subscribed) is the first thing the others see.
    expect((await other.message()).headers.sentinel).toBeTruthy();
    expect((await otherName.message()).headers.sentinel).toBeTruthy();
  });

  it('a second live connection with the same client-id gets an ERROR ("already connected"); the first is unaffected', async () => {
    const b = await lmdb();
    const topic = `/topic/${uniqueName('dup')}`;
    const clientId = uniqueName('cid');
    const first = await b.connectTcp({ 'client-id': clientId }, 'first');
    await ACTIVEMQ.subscribe(first, topic, 'S');

    const second = await b.tcp('second');
    second.send('CONNECT', {
      'accept-version': '1.2',
      host: 'localhost',
      'client-id': clientId,
    });
    const err = await second.expectFrame('ERROR');
    expect(err.headers.message).toMatch(/already connected/);
    await second.expectClosed();

    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(topic, 'still-here', { ...PERSISTENT });
    expect((await first.message()).bodyText).toBe('still-here');
    await first.publish(topic, 'first-can-send', {});
    expect((await first.message()).bodyText).toBe('first-can-send');

    // Once the first has gone, the client-id is free again.
    await first.disconnect();
    const third = await b.connectTcp({ 'client-id': clientId }, 'third');
    await ACTIVEMQ.subscribe(third, topic, 'S');
    await pub.publish(topic, 'after', { ...PERSISTENT });
    expect((await third.message()).bodyText).toBe('after');
  });
});
