/**
 * Durable subscriptions under access control: deleting one (UNSUBSCRIBE
 * naming it) needs read on its topic, and a durable subscription created by
 * an authenticated user binds its client-id (and itself) to that user,
 * across restarts; anonymous ones stay open to all, as before.
 */
import { describe, expect, it, vi } from 'vitest';
import { adminClient } from '../../helpers/admin-http.js';
import { type BrokerContext, startBroker } from '../../helpers/broker.js';
import { PERSISTENT, startLmdbBroker, tempDataDir } from '../../helpers/persistence.js';
import type { TcpStompClient } from '../../helpers/raw-client.js';
import { nextReceiptId } from '../../helpers/raw-client.js';
import { expectErrorAndClose, usersFile } from './auth-support.js';

vi.setConfig({ testTimeout: 30_000 });

const USERS: Record<string, [string, string[]]> = {
  alice: ['a-pass', ['readers']],
  bob: ['b-pass', ['readers']],
  eve: ['e-pass', []],
  boss: ['boss-pass', ['ops']],
};

const RULES = [
  { match: '/topic/news.>', read: ['readers', 'anonymous'], write: ['*'] },
  { match: '>', admin: ['ops'] },
];

function auth(file: string) {
  return { usersFile: file, rules: RULES, allowAnonymous: true };
}

function login(b: BrokerContext, name: string | null, clientId: string): Promise<TcpStompClient> {
  const credentials: Record<string, string> =
    name === null ? {} : { login: name, passcode: USERS[name]![0] };
  return b.connectTcp({ ...credentials, 'client-id': clientId }, name ?? 'anonymous');
}

/** CONNECT that the broker refuses: its ERROR message. */
async function refusedLogin(b: BrokerContext, name: string | null, clientId: string) {
  const c = await b.tcp(`${name ?? 'anonymous'}-refused`);
  const credentials: Record<string, string> =
    name === null ? {} : { login: name, passcode: USERS[name]![0] };
  c.send('CONNECT', {
    'accept-version': '1.2',
    host: 'localhost',
    ...credentials,
    'client-id': clientId,
  });
  return (await expectErrorAndClose(c)).headers.message;
}

/** A frame with a receipt that must be refused: the ERROR's message, after checking its receipt-id. */
async function refused(c: TcpStompClient, command: string, headers: Record<string, string>) {
  const receipt = nextReceiptId();
  c.send(command, { ...headers, receipt });
  const error = await expectErrorAndClose(c);
  expect(error.headers['receipt-id']).toBe(receipt);
  return error.headers.message;
}

async function durableSubscribe(
  c: TcpStompClient,
  destination: string,
  headers: Record<string, string>,
) {
  await c.sendWithReceipt('SUBSCRIBE', { destination, ack: 'auto', ...headers });
}

describe('durable subscriptions and their owners', () => {
  it('UNSUBSCRIBE that deletes a durable subscription needs read on its topic (both dialects); refused, it stays', async () => {
    const b = await startBroker({ auth: auth(await usersFile(USERS)) });
    // Created anonymously, so not bound to anyone: only the read rule stands between eve and it.
    const anon = await login(b, null, 'shared');
    await durableSubscribe(anon, '/topic/news.a', {
      id: 's1',
      'activemq.subscriptionName': 'feed',
    });
    await anon.disconnect();
    // RabbitMQ style: no client-id, the subscription id names it.
    const rabbit = await b.connectTcp({}, 'anon-rabbit');
    await durableSubscribe(rabbit, '/topic/news.r', {
      id: 'rabbit',
      durable: 'true',
      'auto-delete': 'false',
    });
    await rabbit.disconnect();

    const eve = await login(b, 'eve', 'shared');
    expect(
      await refused(eve, 'UNSUBSCRIBE', { id: 's1', 'activemq.subscriptionName': 'feed' }),
    ).toBe('not authorized to read /topic/news.a');
    const eve2 = await b.connectTcp({ login: 'eve', passcode: 'e-pass' }, 'eve-2');
    expect(await refused(eve2, 'UNSUBSCRIBE', { id: 'rabbit', durable: 'true' })).toBe(
      'not authorized to read /topic/news.r',
    );
    expect(b.broker.broker.durables.record('shared:feed')).toBeDefined();
    expect(b.broker.broker.durables.record(':rabbit')).toBeDefined();

    // Still there and still collecting: the subscriber gets what was published meanwhile.
    const publisher = await login(b, 'bob', 'pub');
    await publisher.publish('/topic/news.a', 'kept', PERSISTENT);
    const back = await login(b, null, 'shared');
    await durableSubscribe(back, '/topic/news.a', {
      id: 's1',
      'activemq.subscriptionName': 'feed',
    });
    expect((await back.message()).bodyText).toBe('kept');

    // A reader may delete it.
    const bob = await b.connectTcp({ login: 'bob', passcode: 'b-pass' }, 'bob');
    await bob.sendWithReceipt('UNSUBSCRIBE', { id: 'rabbit', durable: 'true' });
    expect(b.broker.broker.durables.record(':rabbit')).toBeUndefined();
  });

  it("a client-id holding a user's durable subscription is that user's, across restarts; released when they are gone", async () => {
    const dataDir = await tempDataDir();
    const options = { auth: auth(await usersFile(USERS)) };
    let b = await startLmdbBroker(dataDir, options);
    const alice = await login(b, 'alice', 'alice-app');
    await durableSubscribe(alice, '/topic/news.a', {
      id: 's1',
      'activemq.subscriptionName': 'feed',
    });
    await alice.disconnect();

    expect(await refusedLogin(b, 'bob', 'alice-app')).toBe(
      'client-id alice-app belongs to another user',
    );
    expect(await refusedLogin(b, null, 'alice-app')).toBe(
      'client-id alice-app belongs to another user',
    );
    const publisher = await login(b, 'bob', 'pub');
    await publisher.publish('/topic/news.a', 'while away', PERSISTENT);
    await publisher.disconnect();
    await b.close();

    b = await startLmdbBroker(dataDir, options);
    expect(await refusedLogin(b, 'bob', 'alice-app')).toBe(
      'client-id alice-app belongs to another user',
    );
    const again = await login(b, 'alice', 'alice-app');
    await durableSubscribe(again, '/topic/news.a', {
      id: 's1',
      'activemq.subscriptionName': 'feed',
    });
    expect((await again.message()).bodyText).toBe('while away');
    await again.sendWithReceipt('UNSUBSCRIBE', { id: 's1', 'activemq.subscriptionName': 'feed' });
    await again.disconnect();

    // No durable subscription binds it any more: anyone may use the client-id.
    const bob = await login(b, 'bob', 'alice-app');
    await bob.disconnect();
  });

  it("another user cannot attach to or delete a user's durable subscription by name (RabbitMQ dialect, no client-id)", async () => {
    const b = await startBroker({ auth: auth(await usersFile(USERS)) });
    const alice = await b.connectTcp({ login: 'alice', passcode: 'a-pass' }, 'alice');
    await durableSubscribe(alice, '/topic/news.r', {
      id: 'mine',
      durable: 'true',
      'auto-delete': 'false',
    });
    await alice.disconnect();

    const bob = await b.connectTcp({ login: 'bob', passcode: 'b-pass' }, 'bob');
    expect(
      await refused(bob, 'SUBSCRIBE', {
        destination: '/topic/news.r',
        id: 'mine',
        durable: 'true',
        'auto-delete': 'false',
      }),
    ).toBe('durable subscription mine belongs to another user');
    const bob2 = await b.connectTcp({ login: 'bob', passcode: 'b-pass' }, 'bob-2');
    expect(await refused(bob2, 'UNSUBSCRIBE', { id: 'mine', durable: 'true' })).toBe(
      'durable subscription mine belongs to another user',
    );

    const publisher = await b.connectTcp({ login: 'bob', passcode: 'b-pass' }, 'pub');
    await publisher.publish('/topic/news.r', 'for alice', PERSISTENT);
    const back = await b.connectTcp({ login: 'alice', passcode: 'a-pass' }, 'alice-back');
    await durableSubscribe(back, '/topic/news.r', {
      id: 'mine',
      durable: 'true',
      'auto-delete': 'false',
    });
    expect((await back.message()).bodyText).toBe('for alice');
  });

  it("an administrator may drop a user's durable subscription (admin API); the client-id is free again", async () => {
    const b = await startBroker({ auth: auth(await usersFile(USERS)) });
    const alice = await login(b, 'alice', 'alice-app');
    await durableSubscribe(alice, '/topic/news.a', {
      id: 's1',
      'activemq.subscriptionName': 'feed',
    });
    await alice.disconnect();
    expect(await refusedLogin(b, 'bob', 'alice-app')).toBe(
      'client-id alice-app belongs to another user',
    );
    const dropped = await adminClient(b, 'boss:boss-pass').del(
      '/durable-subscriptions/alice-app/feed',
    );
    expect(dropped.status).toBe(200);
    expect(b.broker.broker.durables.record('alice-app:feed')).toBeUndefined();
    const bob = await login(b, 'bob', 'alice-app');
    await bob.disconnect();
  });

  it('anonymous durable subscriptions stay shared, as before', async () => {
    const b = await startBroker({ auth: auth(await usersFile(USERS)) });
    const first = await login(b, null, 'kiosk');
    await durableSubscribe(first, '/topic/news.k', {
      id: 's',
      'activemq.subscriptionName': 'wall',
    });
    await first.disconnect();
    const bob = await login(b, 'bob', 'kiosk');
    await durableSubscribe(bob, '/topic/news.k', { id: 's', 'activemq.subscriptionName': 'wall' });
    await bob.sendWithReceipt('UNSUBSCRIBE', { id: 's', 'activemq.subscriptionName': 'wall' });
    expect(b.broker.broker.durables.record('kiosk:wall')).toBeUndefined();
  });
});
