/**
 * Temporary destinations and reply-to (RabbitMQ /temp-queue/, ActiveMQ /temp-topic/):
 * the receiver sees an opaque /reply-queue/… or /reply-topic/… destination; replies reach
 * only the requesting connection; temp destinations die with their connection.
 */
import { describe, expect, it, vi } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { drainMessages, expectRefused } from '../../helpers/compat.js';
import type { Frame } from '../../helpers/frames.js';
import { nextReceiptId, type RawStompClient, uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

/** Receive one request on `server` and reply to its reply-to with `body`, echoing correlation-id. */
async function answer(server: RawStompClient, body: (req: Frame) => string): Promise<Frame> {
  const req = await server.message();
  const replyTo = req.headers['reply-to'];
  expect(replyTo, 'request has a reply-to').toBeDefined();
  const headers: Record<string, string> = {};
  if (req.headers['correlation-id'] !== undefined)
    headers['correlation-id'] = req.headers['correlation-id'];
  await server.publish(replyTo!, body(req), headers);
  return req;
}

describe('reply-to a temp queue', () => {
  it('rewrites reply-to to /reply-queue/…; the reply reaches the explicit SUBSCRIBE to the temp queue', async () => {
    const b = await startBroker();
    const service = `/queue/${uniqueName('svc')}`;
    const server = await b.connectTcp({}, 'server');
    await server.subscribe(service, 'svc');
    const client = await b.connectTcp({}, 'client');
    await client.subscribe('/temp-queue/replies', 'my-replies');
    await client.publish(service, 'ping', {
      'reply-to': '/temp-queue/replies',
      'correlation-id': 'c-1',
    });
    const req = await answer(server, (r) => `pong to ${r.bodyText}`);
    expect(req.headers['reply-to']).toMatch(/^\/reply-queue\/./);
    expect(req.headers['reply-to']).not.toContain('/temp-queue/');
    const reply = await client.message();
    expect(reply.bodyText).toBe('pong to ping');
    expect(reply.headers['correlation-id']).toBe('c-1');
    expect(reply.headers.subscription).toBe('my-replies');
    expect(await drainMessages(client)).toEqual([]);
  });

  it('without a SUBSCRIBE, the reply arrives through an automatic subscription named /temp-queue/NAME', async () => {
    const b = await startBroker();
    const service = `/queue/${uniqueName('svc')}`;
    const server = await b.connectTcp({}, 'server');
    await server.subscribe(service, 'svc');
    const client = await b.connectTcp({}, 'client');
    await client.publish(service, 'q1', { 'reply-to': '/temp-queue/auto' });
    await answer(server, () => 'r1');
    const reply = await client.message();
    expect(reply.bodyText).toBe('r1');
    expect(reply.headers.subscription).toBe('/temp-queue/auto');
    // Several replies keep coming the same way.
    await client.publish(service, 'q2', { 'reply-to': '/temp-queue/auto' });
    await answer(server, () => 'r2');
    const reply2 = await client.message();
    expect(reply2.bodyText).toBe('r2');
    expect(reply2.headers.subscription).toBe('/temp-queue/auto');
  });

  it('an explicit SUBSCRIBE made after the request still gets the reply (not the automatic one)', async () => {
    const b = await startBroker();
    const service = `/queue/${uniqueName('svc')}`;
    const client = await b.connectTcp({}, 'client');
    await client.publish(service, 'early', { 'reply-to': '/temp-queue/late-sub' });
    await client.subscribe('/temp-queue/late-sub', 'explicit');
    const server = await b.connectTcp({}, 'server');
    await server.subscribe(service, 'svc');
    await answer(server, () => 'reply');
    const reply = await client.message();
    expect(reply.bodyText).toBe('reply');
    expect(reply.headers.subscription).toBe('explicit');
    expect(await drainMessages(client)).toEqual([]);
  });

  it('rewrites reply-to on messages published to topics as well', async () => {
    const b = await startBroker();
    const topic = `/topic/${uniqueName('svct')}`;
    const server = await b.connectTcp({}, 'server');
    await server.subscribe(topic, 't');
    const client = await b.connectTcp({}, 'client');
    await client.publish(topic, 'who is there?', { 'reply-to': '/temp-queue/t-replies' });
    const req = await answer(server, () => 'me');
    expect(req.headers['reply-to']).toMatch(/^\/reply-queue\//);
    expect((await client.message()).bodyText).toBe('me');
  });

  it('two connections using the same temp queue name each get only their own replies', async () => {
    const b = await startBroker();
    const service = `/queue/${uniqueName('svc')}`;
    const server = await b.connectTcp({}, 'server');
    await server.subscribe(service, 'svc');
    const alice = await b.connectTcp({}, 'alice');
    const bob = await b.connectTcp({}, 'bob');
    await alice.subscribe('/temp-queue/replies', 'a');
    await bob.subscribe('/temp-queue/replies', 'b');
    await alice.publish(service, 'from-alice', { 'reply-to': '/temp-queue/replies' });
    await bob.publish(service, 'from-bob', { 'reply-to': '/temp-queue/replies' });
    const r1 = await answer(server, (r) => `re:${r.bodyText}`);
    const r2 = await answer(server, (r) => `re:${r.bodyText}`);
    expect(r1.headers['reply-to']).not.toBe(r2.headers['reply-to']);
    expect((await alice.message()).bodyText).toBe('re:from-alice');
    expect((await bob.message()).bodyText).toBe('re:from-bob');
    expect(await drainMessages(alice)).toEqual([]);
    expect(await drainMessages(bob)).toEqual([]);
  });

  it('another connection cannot read a temp queue: same name is a different queue', async () => {
    const b = await startBroker();
    const owner = await b.connectTcp({}, 'owner');
    await owner.subscribe('/temp-queue/private', 'mine');
    const snoop = await b.connectTcp({}, 'snoop');
    await snoop.subscribe('/temp-queue/private', 'theirs');
    await owner.publish('/temp-queue/private', 'owner-only');
    expect((await owner.message()).bodyText).toBe('owner-only');
    expect(await drainMessages(snoop)).toEqual([]);
  });

  it('SUBSCRIBE to a /reply-queue/ destination is refused', async () => {
    const b = await startBroker();
    const service = `/queue/${uniqueName('svc')}`;
    const server = await b.connectTcp({}, 'server');
    await server.subscribe(service, 'svc');
    const client = await b.connectTcp({}, 'client');
    await client.subscribe('/temp-queue/r', 'r');
    await client.publish(service, 'req', { 'reply-to': '/temp-queue/r' });
    const req = await server.message();
    const thief = await b.connectTcp({}, 'thief');
    await expectRefused(thief, 'SUBSCRIBE', { destination: req.headers['reply-to']!, id: 'steal' });
    // The owner still gets replies.
    await server.publish(req.headers['reply-to']!, 'still mine');
    expect((await client.message()).bodyText).toBe('still mine');
  });

  it('a temp queue dies with its connection: a late reply reaches nobody', async () => {
    const b = await startBroker();
    const service = `/queue/${uniqueName('svc')}`;
    const server = await b.connectTcp({}, 'server');
    await server.subscribe(service, 'svc');
    const client = await b.connectTcp({}, 'client');
    await client.subscribe('/temp-queue/gone', 'r');
    await client.publish(service, 'req', { 'reply-to': '/temp-queue/gone' });
    const req = await server.message();
    await client.disconnect();
    // A new connection with the same temp name must not see the old connection's replies.
    const reborn = await b.connectTcp({}, 'reborn');
    await reborn.subscribe('/temp-queue/gone', 'r');
    const receipt = nextReceiptId();
    server.send('SEND', { destination: req.headers['reply-to']!, receipt }, 'too late');
    // Either accepted and dropped, or refused: the spec leaves it open; it must not be delivered.
    await server.waitForFrame(
      (f) =>
        f.command === 'ERROR' || (f.command === 'RECEIPT' && f.headers['receipt-id'] === receipt),
      'RECEIPT or ERROR for the late reply',
    );
    expect(await drainMessages(reborn)).toEqual([]);
  });
});

describe('reply-to a temp topic (ActiveMQ)', () => {
  it('rewrites reply-to to /reply-topic/…; only the owning connection’s subscribers get the reply', async () => {
    const b = await startBroker();
    const service = `/queue/${uniqueName('svc')}`;
    const server = await b.connectTcp({}, 'server');
    await server.subscribe(service, 'svc');
    const client = await b.connectTcp({}, 'client');
    await client.subscribe('/temp-topic/answers', 'one');
    await client.subscribe('/temp-topic/answers', 'two');
    const other = await b.connectTcp({}, 'other');
    await other.subscribe('/temp-topic/answers', 'other');
    await client.publish(service, 'request', {
      'reply-to': '/temp-topic/answers',
      'correlation-id': 'tt-1',
    });
    const req = await answer(server, () => 'topic-reply');
    expect(req.headers['reply-to']).toMatch(/^\/reply-topic\/./);
    const got = await client.messages(2);
    expect(got.map((f) => f.headers.subscription).sort()).toEqual(['one', 'two']);
    expect(got.every((f) => f.bodyText === 'topic-reply')).toBe(true);
    expect(got.every((f) => f.headers['correlation-id'] === 'tt-1')).toBe(true);
    expect(await drainMessages(client)).toEqual([]);
    expect(await drainMessages(other)).toEqual([]);
  });

  it('/temp-topic/NAME is private: another connection publishing to the same name does not reach it', async () => {
    const b = await startBroker();
    const owner = await b.connectTcp({}, 'owner');
    await owner.subscribe('/temp-topic/tt', 's');
    const other = await b.connectTcp({}, 'other');
    await other.publish('/temp-topic/tt', 'from-other');
    await owner.publish('/temp-topic/tt', 'from-owner');
    expect((await owner.message()).bodyText).toBe('from-owner');
    expect(await drainMessages(owner)).toEqual([]);
  });

  it('SUBSCRIBE to a /reply-topic/ destination from another connection is refused', async () => {
    const b = await startBroker();
    const service = `/queue/${uniqueName('svc')}`;
    const server = await b.connectTcp({}, 'server');
    await server.subscribe(service, 'svc');
    const client = await b.connectTcp({}, 'client');
    await client.subscribe('/temp-topic/x', 'x');
    await client.publish(service, 'req', { 'reply-to': '/temp-topic/x' });
    const req = await server.message();
    await expectRefused(server, 'SUBSCRIBE', { destination: req.headers['reply-to']!, id: 'spy' });
  });
});

describe('temp destinations stay private', () => {
  it('a /queue/> wildcard subscriber on another connection never sees temp-queue replies', async () => {
    const b = await startBroker();
    const thief = await b.connectTcp({}, 'thief');
    await thief.subscribe('/queue/>', 'all');
    // The request goes over a topic, so the thief's queue wildcard cannot take it.
    const service = `/topic/${uniqueName('svc')}`;
    const server = await b.connectTcp({}, 'server');
    await server.subscribe(service, 'svc');
    const client = await b.connectTcp({}, 'client');
    await client.subscribe('/temp-queue/secret', 'r');
    await client.publish(service, 'req', { 'reply-to': '/temp-queue/secret' });
    await answer(server, () => 'private reply');
    expect((await client.message()).bodyText).toBe('private reply');
    expect(await drainMessages(thief)).toEqual([]);
  });

  it('a /topic/> wildcard subscriber on another connection never sees temp-topic traffic', async () => {
    const b = await startBroker();
    const snoop = await b.connectTcp({}, 'snoop');
    await snoop.subscribe('/topic/>', 'all');
    const owner = await b.connectTcp({}, 'owner');
    await owner.subscribe('/temp-topic/t', 't');
    await owner.publish('/temp-topic/t', 'hidden');
    expect((await owner.message()).bodyText).toBe('hidden');
    expect(await drainMessages(snoop)).toEqual([]);
  });

  it('reply-to is rewritten for a SEND inside a transaction, and the reply comes back', async () => {
    const b = await startBroker();
    const service = `/queue/${uniqueName('svc')}`;
    const server = await b.connectTcp({}, 'server');
    await server.subscribe(service, 'svc');
    const client = await b.connectTcp({}, 'client');
    await client.subscribe('/temp-queue/txr', 'r');
    await client.sendWithReceipt('BEGIN', { transaction: 'tx' });
    await client.sendWithReceipt(
      'SEND',
      { destination: service, transaction: 'tx', 'reply-to': '/temp-queue/txr' },
      'in-tx',
    );
    expect(await drainMessages(server)).toEqual([]);
    await client.sendWithReceipt('COMMIT', { transaction: 'tx' });
    const req = await answer(server, () => 'tx-reply');
    expect(req.headers['reply-to']).toMatch(/^\/reply-queue\//);
    expect((await client.message()).bodyText).toBe('tx-reply');
  });
});

describe('temp topic lifetime', () => {
  it('a temp topic dies with its connection: a late reply to /reply-topic/… reaches nobody', async () => {
    const b = await startBroker();
    const service = `/queue/${uniqueName('svc')}`;
    const server = await b.connectTcp({}, 'server');
    await server.subscribe(service, 'svc');
    const client = await b.connectTcp({}, 'client');
    await client.subscribe('/temp-topic/gone', 'r');
    await client.publish(service, 'req', { 'reply-to': '/temp-topic/gone' });
    const req = await server.message();
    await client.disconnect();
    const reborn = await b.connectTcp({}, 'reborn');
    await reborn.subscribe('/temp-topic/gone', 'r');
    const receipt = nextReceiptId();
    server.send('SEND', { destination: req.headers['reply-to']!, receipt }, 'too late');
    // Either accepted and dropped, or refused: the spec leaves it open; it must not be delivered.
    await server.waitForFrame(
      (f) =>
        f.command === 'ERROR' || (f.command === 'RECEIPT' && f.headers['receipt-id'] === receipt),
      'RECEIPT or ERROR for the late reply',
    );
    expect(await drainMessages(reborn)).toEqual([]);
  });
});

describe('request/reply with @stomp/stompjs over WebSocket', () => {
  it('a stompjs requester gets its reply on /temp-queue/ from a TCP responder', async () => {
    const b = await startBroker();
    const service = `/queue/${uniqueName('jsvc')}`;
    const server = await b.connectTcp({}, 'server');
    await server.subscribe(service, 'svc');
    const js = await b.stompjs();
    const replies = await js.subscribeConfirmed('/temp-queue/js-replies');
    await js.publishConfirmed(service, JSON.stringify({ op: 'add', a: 2, b: 3 }), {
      'reply-to': '/temp-queue/js-replies',
      'correlation-id': 'js-corr-1',
      'content-type': 'application/json',
    });
    const req = await answer(server, (r) => {
      const { a, b: bb } = JSON.parse(r.bodyText) as { a: number; b: number };
      return JSON.stringify({ result: a + bb });
    });
    expect(req.headers['reply-to']).toMatch(/^\/reply-queue\//);
    const [reply] = await replies.waitFor(1);
    expect(JSON.parse(reply!.body)).toEqual({ result: 5 });
    expect(reply!.headers['correlation-id']).toBe('js-corr-1');
    expect(js.stompErrors).toEqual([]);
  });
});
