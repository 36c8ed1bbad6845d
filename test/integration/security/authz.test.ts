/**
 * Authorization against a real broker: read/write/admin rules per
 * destination pattern (ActiveMQ wildcards), users and groups, the default
 * deny, ERROR `not authorized to …` with receipt-id then close, composite
 * SENDs, wildcard SUBSCRIBEs, RabbitMQ aliases, temp-queue isolation,
 * permissions carried by a JWT, and a refresh that takes permissions away.
 */
import { describe, expect, it, vi } from 'vitest';
import { ACCESS_DENIED } from '../../../server/src/session/handlers/access.js';
import { type BrokerContext, type BrokerOverrides, startBroker } from '../../helpers/broker.js';
import type { TcpStompClient } from '../../helpers/raw-client.js';
import { nextReceiptId, uniqueName } from '../../helpers/raw-client.js';
import { expectErrorAndClose, hsToken, SECRET, usersFile } from './auth-support.js';

vi.setConfig({ testTimeout: 30_000 });

const RULES = [
  {
    match: '/queue/orders.>',
    read: ['ops', '@alice', 'admins'],
    write: ['producers'],
    admin: ['admins'],
  },
  { match: '/topic/logs.>', read: ['ops'], write: ['producers'] },
  { match: '/topic/public.>', read: ['*'], write: ['*'] },
];

const USERS: Record<string, [string, string[]]> = {
  alice: ['a-pass', []],
  olga: ['o-pass', ['ops']],
  bob: ['b-pass', ['producers']],
  carol: ['c-pass', ['admins']],
  dave: ['d-pass', []],
};

async function broker(auth: BrokerOverrides['auth'] = {}): Promise<BrokerContext> {
  const file = await usersFile(USERS);
  return startBroker({ auth: { usersFile: file, rules: RULES, ...auth } });
}

async function login(b: BrokerContext, name: string): Promise<TcpStompClient> {
  return b.connectTcp({ login: name, passcode: USERS[name]![0] }, name);
}

/** Send a frame with a receipt; expect ERROR naming the refusal with that receipt-id, then close. */
async function expectDenied(
  c: TcpStompClient,
  command: string,
  headers: Record<string, string>,
  message: string,
): Promise<void> {
  const receipt = nextReceiptId();
  c.send(command, { ...headers, receipt }, command === 'SEND' ? 'x' : '');
  const error = await expectErrorAndClose(c);
  expect(error.headers.message).toBe(message);
  expect(error.headers['receipt-id']).toBe(receipt);
}

async function subscribed(
  c: TcpStompClient,
  destination: string,
  extra: Record<string, string> = {},
) {
  const receipt = nextReceiptId();
  const id = uniqueName('sub');
  c.send('SUBSCRIBE', { id, destination, receipt, ...extra });
  await c.expectReceipt(receipt);
  return id;
}

async function sent(
  c: TcpStompClient,
  destination: string,
  body: string,
  extra: Record<string, string> = {},
) {
  const receipt = nextReceiptId();
  c.send('SEND', { destination, receipt, ...extra }, body);
  await c.expectReceipt(receipt);
}

describe('read, write and admin per destination pattern', () => {
  it('lets each user do what the rules grant, by group and by @user', async () => {
    const b = await broker();
    const alice = await login(b, 'alice');
    const olga = await login(b, 'olga');
    const bob = await login(b, 'bob');
    const queue = `/queue/orders.${uniqueName('eu')}`;
    await subscribed(alice, queue);
    await subscribed(olga, `/queue/orders.${uniqueName('other')}`);
    // The same destination again and again: checked once, then from the session's cache.
    for (let i = 0; i < 5; i++) await sent(bob, queue, `order ${i}`);
    expect((await alice.messages(5)).map((m) => m.bodyText)).toEqual([
      'order 0',
      'order 1',
      'order 2',
      'order 3',
      'order 4',
    ]);
  });

  it('denies write: ERROR "not authorized to write …" with receipt-id, then close', async () => {
    const b = await broker();
    await expectDenied(
      await login(b, 'alice'),
      'SEND',
      { destination: '/queue/orders.x' },
      'not authorized to write /queue/orders.x',
    );
    expect(b.broker.counters.get(ACCESS_DENIED, { permission: 'write' })).toBe(1);
  });

  it('denies read on SUBSCRIBE and on browsing', async () => {
    const b = await broker();
    await expectDenied(
      await login(b, 'bob'),
      'SUBSCRIBE',
      { id: 's', destination: '/queue/orders.x' },
      'not authorized to read /queue/orders.x',
    );
    await expectDenied(
      await login(b, 'dave'),
      'SUBSCRIBE',
      { id: 's', destination: '/queue/orders.x', browser: 'true' },
      'not authorized to read /queue/orders.x',
    );
  });

  it('needs admin to declare queue properties (RabbitMQ queue arguments)', async () => {
    const b = await broker();
    await expectDenied(
      await login(b, 'alice'),
      'SUBSCRIBE',
      { id: 's', destination: '/queue/orders.capped', 'x-max-length': '10' },
      'not authorized to admin /queue/orders.capped',
    );
    const carol = await login(b, 'carol');
    await subscribed(carol, '/queue/orders.capped', { 'x-max-length': '10' });
  });

  it('denies by default where no rule matches, unless defaultPermissions say otherwise', async () => {
    const strict = await broker();
    await expectDenied(
      await login(strict, 'bob'),
      'SEND',
      { destination: '/queue/unruled' },
      'not authorized to write /queue/unruled',
    );
    const lenient = await broker({ defaultPermissions: ['read', 'write'] });
    const dave = await login(lenient, 'dave');
    await subscribed(dave, '/queue/unruled');
    await sent(dave, '/queue/unruled', 'ok');
    expect((await dave.message()).bodyText).toBe('ok');
    // A rule that matches still decides, even with a lenient default.
    await expectDenied(
      dave,
      'SEND',
      { destination: '/queue/orders.x' },
      'not authorized to write /queue/orders.x',
    );
  });

  it('checks every part of a composite SEND before delivering any', async () => {
    const b = await broker({ defaultPermissions: [] });
    const olga = await login(b, 'olga');
    const queue = `/queue/orders.${uniqueName('c')}`;
    await subscribed(olga, queue);
    const bob = await login(b, 'bob');
    await expectDenied(
      bob,
      'SEND',
      { destination: `${queue},/queue/elsewhere` },
      'not authorized to write /queue/elsewhere',
    );
    await olga.expectNoMessage(300);
  });

  it('checks a wildcard SUBSCRIBE against the pattern itself', async () => {
    const b = await broker();
    const olga = await login(b, 'olga');
    await subscribed(olga, '/topic/logs.>');
    await subscribed(olga, '/topic/logs.*');
    const bob = await login(b, 'bob');
    await sent(bob, '/topic/logs.app', 'line');
    expect((await olga.messages(2)).map((m) => m.bodyText)).toEqual(['line', 'line']);
    await expectDenied(
      olga,
      'SUBSCRIBE',
      { id: 'wide', destination: '/topic/>' },
      'not authorized to read /topic/>',
    );
  });

  it('sees through RabbitMQ aliases', async () => {
    const b = await broker();
    await expectDenied(
      await login(b, 'alice'),
      'SEND',
      { destination: '/amq/queue/orders.x' },
      'not authorized to write /queue/orders.x',
    );
    await expectDenied(
      await login(b, 'dave'),
      'SUBSCRIBE',
      { id: 's', destination: '/exchange/amq.topic/logs.app' },
      'not authorized to read /topic/logs.app',
    );
  });

  it('lets everyone (*) and anonymous clients use what rules give everyone', async () => {
    const b = await startBroker({ auth: { rules: RULES } });
    // No logins configured: everyone is anonymous, and the rules still apply.
    const anon = await b.connectTcp({});
    await subscribed(anon, '/topic/public.news');
    await sent(anon, '/topic/public.news', 'hi');
    expect((await anon.message()).bodyText).toBe('hi');
    await expectDenied(
      anon,
      'SEND',
      { destination: '/topic/logs.app' },
      'not authorized to write /topic/logs.app',
    );
  });
});

describe('temp destinations', () => {
  it('keeps each connection’s temp queue to itself, while replies reach it through reply-to', async () => {
    const b = await broker();
    const alice = await login(b, 'alice');
    const olga = await login(b, 'olga');
    const bob = await login(b, 'bob');
    await subscribed(alice, '/temp-queue/replies');
    await subscribed(olga, '/temp-queue/replies');
    // Same name, different connections: different queues.
    await sent(olga, '/temp-queue/replies', 'olga to herself');
    expect((await olga.message()).bodyText).toBe('olga to herself');
    await alice.expectNoMessage(300);
    // Request/reply: bob writes to orders with reply-to; olga (ops) reads it and answers on the opaque name.
    const queue = `/queue/orders.${uniqueName('rpc')}`;
    await subscribed(olga, queue);
    await sent(bob, queue, 'request', { 'reply-to': '/temp-queue/answers' });
    const request = await olga.message((m) => m.bodyText === 'request');
    const replyTo = request.headers['reply-to']!;
    expect(replyTo).toMatch(/^\/reply-queue\//);
    await sent(olga, replyTo, 'answer');
    expect((await bob.message()).bodyText).toBe('answer');
    await alice.expectNoMessage(200);
  });
});

describe('permissions from tokens', () => {
  it('adds the grants of a JWT permissions claim', async () => {
    const b = await startBroker({
      auth: { jwt: { secret: SECRET, permissionsClaim: 'perms' }, rules: RULES },
    });
    const token = await hsToken('web-1', {
      perms: { read: ['/topic/chat.>'], write: ['/topic/chat.lobby'] },
    });
    const c = await b.connectTcp({ login: 'jwt', passcode: token });
    await subscribed(c, '/topic/chat.>');
    await sent(c, '/topic/chat.lobby', 'hello');
    expect((await c.message()).bodyText).toBe('hello');
    await expectDenied(
      c,
      'SEND',
      { destination: '/topic/chat.admin' },
      'not authorized to write /topic/chat.admin',
    );
  });

  it('groups from the token meet the rules; a refresh that drops the group ends the subscription’s connection', async () => {
    const b = await startBroker({ auth: { jwt: { secret: SECRET }, rules: RULES } });
    const c = await b.connectTcp({
      login: 'jwt',
      passcode: await hsToken('olga', { groups: ['ops'] }),
    });
    await subscribed(c, '/topic/logs.>');
    const receipt = nextReceiptId();
    c.send(
      'SEND',
      { destination: '/system/token', receipt },
      await hsToken('olga', { groups: [] }),
    );
    const error = await expectErrorAndClose(c);
    expect(error.headers.message).toBe('not authorized to read /topic/logs.>');
    expect(error.headers['receipt-id']).toBe(receipt);
  });
});
