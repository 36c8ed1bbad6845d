/**
 * stompede-client against a real in-process broker: publish/subscribe,
 * bodies, receipts and ERRORs, request/reply, ping, subscription options.
 */
import { describe, expect, it } from 'vitest';
import { StompedeError } from '../../../client/src/index.js';
import { Inbox, openClient, SocketSpy, sleep, TestBroker, unique, waitUntil } from './support.js';

describe('stompede-client messaging', () => {
  it('connects, subscribes and publishes; the subscription id is stable', async () => {
    const broker = await TestBroker.start();
    const c = await openClient({ url: broker.url });
    expect(c.state).toBe('connected');
    expect(c.connected).toBe(true);
    const topic = `/topic/${unique('basic')}`;
    const inbox = new Inbox();
    const handle = c.subscribe(topic, inbox.handler);
    expect(handle.id).toMatch(/^sub-\d+$/);
    await c.publish(topic, 'hello');
    await c.publish(topic, 'world', { headers: { 'x-tag': 'two' } });
    const [first, second] = await inbox.waitFor(2);
    expect(first!.body).toBe('hello');
    expect(first!.text).toBe('hello');
    expect(first!.destination).toBe(topic);
    expect(first!.headers.subscription).toBe(handle.id);
    expect(second!.headers['x-tag']).toBe('two');
  });

  it('delivers between two clients', async () => {
    const broker = await TestBroker.start();
    const a = await openClient({ url: broker.url });
    const b = await openClient({ url: broker.url });
    const queue = `/queue/${unique('pair')}`;
    const inbox = new Inbox();
    b.subscribe(queue, inbox.handler);
    await b.ping(); // the SUBSCRIBE is processed before the RECEIPT
    await a.publish(queue, { n: 1 }, { receipt: true });
    expect((await inbox.waitFor(1))[0]!.body).toEqual({ n: 1 });
  });

  it('encodes objects as JSON and decodes JSON bodies; bad JSON stays text; bytes stay bytes', async () => {
    const broker = await TestBroker.start();
    const c = await openClient({ url: broker.url });
    const topic = `/topic/${unique('json')}`;
    const inbox = new Inbox();
    c.subscribe(topic, inbox.handler);
    await c.publish(topic, { a: [1, 2], b: 'ü' });
    await c.publish(topic, '{not json', { headers: { 'content-type': 'application/json' } });
    await c.publish(topic, '{"plain":true}');
    await c.publish(topic, new Uint8Array([0, 1, 2, 254, 255]));
    const [json, bad, plain, bytes] = await inbox.waitFor(4);
    expect(json!.headers['content-type']).toBe('application/json');
    expect(json!.body).toEqual({ a: [1, 2], b: 'ü' });
    expect(bad!.body).toBe('{not json');
    expect(plain!.body).toBe('{"plain":true}');
    expect([...bytes!.binary]).toEqual([0, 1, 2, 254, 255]);
  });

  it('resolves receipts, and rejects with the broker ERROR text (also an error event)', async () => {
    const broker = await TestBroker.start();
    const errors: Error[] = [];
    const c = await openClient({ url: broker.url, onError: (e) => errors.push(e) });
    await expect(
      c.publish(`/queue/${unique('receipt')}`, 'x', { receipt: true, persistent: true }),
    ).resolves.toBeUndefined();

    const failed = c.publish('/nowhere/at-all', 'x', { receipt: true });
    await expect(failed).rejects.toBeInstanceOf(StompedeError);
    const error = (await failed.catch((e: unknown) => e)) as StompedeError;
    expect(error.message).toMatch(/destination/i);
    expect(error.details).not.toBe('');
    expect(errors.map((e) => e.message)).toContain(error.message);
    // The ERROR ended that connection; the client comes back by itself.
    await waitUntil(() => c.states.some(([s]) => s === 'reconnecting'));
    expect(c.states.find(([s]) => s === 'reconnecting')![1].error).toBe(error.message);
    await waitUntil(() => c.state === 'connected');
    await expect(c.publish(`/topic/${unique('after')}`, 'ok', { receipt: true })).resolves.toBe(
      undefined,
    );
  });

  it('request/reply over the temp queue, matched by correlation-id', async () => {
    const broker = await TestBroker.start();
    const responder = await openClient({ url: broker.url });
    const requester = await openClient({ url: broker.url });
    const service = `/queue/${unique('svc')}`;
    responder.subscribe(service, (m) => {
      const { n, delay } = m.body as { n: number; delay: number };
      setTimeout(() => {
        void responder.publish(
          m.headers['reply-to']!,
          { doubled: n * 2 },
          { headers: { 'correlation-id': m.headers['correlation-id']! } },
        );
      }, delay);
    });
    await responder.ping();
    // Replies come back out of order; each request still gets its own.
    const replies = await Promise.all([
      requester.request(service, { n: 1, delay: 60 }),
      requester.request(service, { n: 2, delay: 0 }),
      requester.request(service, { n: 3, delay: 30 }),
    ]);
    expect(replies.map((r) => r.body)).toEqual([{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }]);
    expect(replies[0]!.headers['correlation-id']).not.toBe(replies[1]!.headers['correlation-id']);
    // The reply-to seen by the responder is the broker's opaque rewrite.
    await expect(
      requester.request(`/queue/${unique('nobody')}`, 'anyone?', { timeoutMs: 150 }),
    ).rejects.toThrow(/no reply .* within 150 ms/);
  });

  it('subscribes to the reply queue once, however many requests', async () => {
    const broker = await TestBroker.start();
    const spy = new SocketSpy();
    const responder = await openClient({ url: broker.url });
    const requester = await openClient({ url: broker.url, WebSocket: spy.WebSocket });
    const service = `/queue/${unique('svc')}`;
    responder.subscribe(service, (m) => {
      void responder.publish(m.headers['reply-to']!, 'pong', {
        headers: { 'correlation-id': m.headers['correlation-id']! },
      });
    });
    await responder.ping();
    for (let i = 0; i < 3; i++)
      expect((await requester.request(service, 'ping')).body).toBe('pong');
    const subscribes = spy.sentFrames('SUBSCRIBE');
    expect(subscribes).toHaveLength(1);
    expect(subscribes[0]!.headers.destination).toBe('/temp-queue/stompede-replies');
    const sends = spy.sentFrames('SEND');
    expect(sends.map((f) => f.headers['reply-to'])).toEqual(
      Array(3).fill('/temp-queue/stompede-replies'),
    );
    expect(new Set(sends.map((f) => f.headers['correlation-id'])).size).toBe(3);
  });

  it('ping measures a round trip', async () => {
    const broker = await TestBroker.start();
    const c = await openClient({ url: broker.url });
    const ms = await c.ping();
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(2000);
  });

  it('passes ack, selector, prefetch and history options as headers', async () => {
    const broker = await TestBroker.start();
    const spy = new SocketSpy();
    const c = await openClient({ url: broker.url, WebSocket: spy.WebSocket });
    const topic = `/topic/hist.${unique('opts')}`;
    const inbox = new Inbox();
    c.subscribe(topic, inbox.handler, {
      ack: 'client-individual',
      selector: "level = 'error'",
      prefetch: 5,
      history: { last: 3 },
      headers: { 'x-extra': 'yes' },
    });
    c.subscribe(topic, () => {}, { history: 'all' });
    c.subscribe(topic, () => {}, { history: { since: 1234 } });
    c.subscribe(topic, () => {}, { history: 7 });
    await c.ping();
    const [first, all, since, last] = spy.sentFrames('SUBSCRIBE').map((f) => f.headers);
    expect(first).toMatchObject({
      ack: 'client-individual',
      selector: "level = 'error'",
      'prefetch-count': '5',
      'x-history-last': '3',
      'x-extra': 'yes',
    });
    expect(all!['x-stream-offset']).toBe('first');
    expect(since!['x-history-since']).toBe('1234');
    expect(last!['x-history-last']).toBe('7');

    await c.publish(topic, 'info', { headers: { level: 'info' } });
    await c.publish(topic, 'bad', { headers: { level: 'error' } });
    const [m] = await inbox.waitFor(1);
    expect(m!.body).toBe('bad');
    m!.ack();
    await c.ping();
    expect(spy.sentFrames('ACK')).toHaveLength(1);
    expect(inbox.messages).toHaveLength(1);
  });

  it('replays topic history to a late subscriber, marked x-history', async () => {
    const broker = await TestBroker.start();
    const c = await openClient({ url: broker.url });
    const topic = `/topic/hist.${unique('late')}`;
    for (let i = 1; i <= 5; i++) await c.publish(topic, String(i), { receipt: true });
    const inbox = new Inbox();
    c.subscribe(topic, inbox.handler, { history: 2 });
    await c.publish(topic, '6');
    const got = await inbox.waitFor(3);
    expect(got.map((m) => m.text)).toEqual(['4', '5', '6']);
    expect(got.map((m) => m.headers['x-history'])).toEqual(['true', 'true', undefined]);
  });

  it('durable subscriptions need clientId and keep messages while away', async () => {
    const broker = await TestBroker.start();
    const plain = await openClient({ url: broker.url });
    expect(() => plain.subscribe('/topic/x', () => {}, { durableName: 'd' })).toThrow(/clientId/);

    const topic = `/topic/${unique('durable')}`;
    const clientId = unique('cid');
    const first = await openClient({ url: broker.url, clientId });
    first.subscribe(topic, () => {}, { durableName: 'mine' });
    await first.ping();
    await first.close();
    await plain.publish(topic, 'while away', { receipt: true, persistent: true });
    const second = await openClient({ url: broker.url, clientId });
    const inbox = new Inbox();
    second.subscribe(topic, inbox.handler, { durableName: 'mine' });
    expect((await inbox.waitFor(1))[0]!.body).toBe('while away');
  });

  it('unsubscribe stops delivery; a throwing handler does not break the client', async () => {
    const broker = await TestBroker.start();
    const errors: Error[] = [];
    const c = await openClient({ url: broker.url, onError: (e) => errors.push(e) });
    const topic = `/topic/${unique('unsub')}`;
    const inbox = new Inbox();
    const handle = c.subscribe(topic, inbox.handler);
    c.subscribe(topic, () => {
      throw new Error('handler bug');
    });
    await c.publish(topic, 'one');
    await inbox.waitFor(1);
    handle.unsubscribe();
    handle.unsubscribe(); // idempotent
    await c.publish(topic, 'two', { receipt: true });
    await sleep(50);
    expect(inbox.bodies).toEqual(['one']);
    expect(errors.map((e) => e.message)).toContain('handler bug');
    expect(c.state).toBe('connected');
  });

  it('close() is graceful and final', async () => {
    const broker = await TestBroker.start();
    const c = await openClient({ url: broker.url });
    await c.close();
    await c.close();
    expect(c.state).toBe('closed');
    expect(c.states.map(([s]) => s)).toEqual(['connecting', 'connected', 'closed']);
    await expect(c.publish('/topic/x', 'late')).rejects.toThrow(/closed/);
    await expect(c.request('/queue/x', 'late')).rejects.toThrow(/closed/);
    await expect(c.ping()).rejects.toThrow(/not connected/);
    expect(() => c.subscribe('/topic/x', () => {})).toThrow(/closed/);
  });
});
