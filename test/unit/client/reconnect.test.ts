/**
 * stompede-client across connection losses: state events, backoff, the
 * offline queue, session resumption, and history subscriptions that continue
 * with no gap and no duplicate, whether the broker resumes the session, the
 * client resubscribes with x-history-after, or the broker itself restarts.
 */
import { describe, expect, it } from 'vitest';
import type { StompedeClient } from '../../../client/src/index.js';
import {
  fakeServer,
  HISTORY_RULE,
  Inbox,
  openClient,
  SocketSpy,
  sleep,
  TestBroker,
  tempDataDir,
  unique,
  waitForState,
  waitUntil,
} from './support.js';

/** Publish numbers from..to in order, each confirmed by a RECEIPT (persistent, for the LMDB case). */
async function publishRange(c: StompedeClient, topic: string, from: number, to: number) {
  const sent: Promise<void>[] = [];
  for (let n = from; n <= to; n++) {
    sent.push(c.publish(topic, { n }, { receipt: true, persistent: true }));
  }
  await Promise.all(sent);
}

/**
 * The transport for tests that restart the broker on the same port: uWebSockets.js
 * cannot bind a port again for a while after connections on it were closed.
 */
const RESTARTABLE = 'ws';

const numbers = (inbox: Inbox) => inbox.bodies.map((b) => (b as { n: number }).n);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('stompede-client reconnect', () => {
  it('reports connecting → connected → reconnecting → connected → closed', async () => {
    const broker = await TestBroker.start();
    const spy = new SocketSpy();
    const c = await openClient({ url: broker.url, WebSocket: spy.WebSocket });
    spy.kill();
    await waitUntil(() => c.states.length === 4);
    await c.close();
    expect(c.states.map(([s]) => s)).toEqual([
      'connecting',
      'connected',
      'reconnecting',
      'connected',
      'closed',
    ]);
    const reconnecting = c.states[2]![1];
    expect(reconnecting.attempt).toBe(1);
    expect(reconnecting.error).toMatch(/connection to .* lost/);
    expect(reconnecting.delayMs).toBeGreaterThanOrEqual(0);
    expect(c.states[3]![1]).toEqual({ resumed: true });
  });

  it('keeps retrying with growing delays while the broker is down, then resubscribes', async () => {
    const broker = await TestBroker.start({ wsTransport: RESTARTABLE });
    const c = await openClient({
      url: broker.url,
      reconnect: { initialDelayMs: 20, maxDelayMs: 160, factor: 2, jitter: 0 },
    });
    const topic = `/topic/${unique('retry')}`;
    const inbox = new Inbox();
    c.subscribe(topic, inbox.handler);
    await broker.stop();
    await waitUntil(() => c.states.filter(([s]) => s === 'reconnecting').length >= 4);
    const retries = c.states.filter(([s]) => s === 'reconnecting').map(([, info]) => info);
    expect(retries.slice(0, 4).map((i) => i.attempt)).toEqual([1, 2, 3, 4]);
    expect(retries.slice(0, 4).map((i) => i.delayMs)).toEqual([20, 40, 80, 160]);
    expect(retries[0]!.error).toMatch(/server shutting down|lost/);
    expect(retries[1]!.error).toMatch(/cannot connect .*ECONNREFUSED/);
    await broker.restart();
    await waitForState(c, 'connected');
    expect(c.states.at(-1)).toEqual(['connected', { resumed: false }]);
    await c.publish(topic, { n: 1 });
    await inbox.waitFor(1);
  });

  it('queues publishes while offline and flushes them in order on reconnect', async () => {
    const broker = await TestBroker.start();
    const spy = new SocketSpy();
    const publisher = await openClient({
      url: broker.url,
      WebSocket: spy.WebSocket,
      reconnect: { initialDelayMs: 200 },
    });
    const subscriber = await openClient({ url: broker.url });
    const queue = `/queue/${unique('offline')}`;
    const inbox = new Inbox();
    subscriber.subscribe(queue, inbox.handler);
    await subscriber.ping();

    await publisher.publish(queue, { n: 1 }, { receipt: true });
    spy.kill();
    await waitForState(publisher, 'reconnecting');
    let settled = 0;
    const offline = [
      publisher.publish(queue, { n: 2 }),
      publisher.publish(queue, { n: 3 }, { receipt: true }),
      publisher.publish(queue, { n: 4 }),
    ].map((p) => p.then(() => settled++));
    await sleep(20);
    expect(settled).toBe(0); // nothing is written while offline
    await Promise.all(offline);
    expect(publisher.state).toBe('connected');
    await publisher.publish(queue, { n: 5 });
    await inbox.waitFor(5);
    expect(numbers(inbox)).toEqual([1, 2, 3, 4, 5]);
  });

  it("bounds the offline queue, and rejects at once in 'reject' mode", async () => {
    const broker = await TestBroker.start();
    const spy = new SocketSpy();
    const bounded = await openClient({
      url: broker.url,
      WebSocket: spy.WebSocket,
      reconnect: { initialDelayMs: 200 },
      offline: { mode: 'queue', maxQueued: 2 },
    });
    spy.kill();
    await waitForState(bounded, 'reconnecting');
    const kept = [bounded.publish('/topic/x', 'a'), bounded.publish('/topic/x', 'b')];
    await expect(bounded.publish('/topic/x', 'c')).rejects.toThrow(/offline queue is full \(2/);
    await Promise.all(kept);

    const spy2 = new SocketSpy();
    const rejecting = await openClient({
      url: broker.url,
      WebSocket: spy2.WebSocket,
      reconnect: { initialDelayMs: 200 },
      offline: { mode: 'reject' },
    });
    spy2.kill();
    await waitForState(rejecting, 'reconnecting');
    await expect(rejecting.publish('/topic/x', 'now')).rejects.toThrow(
      /not connected \(reconnecting\)/,
    );
    await expect(rejecting.request('/queue/x', 'now')).rejects.toThrow(/not connected/);
    await waitForState(rejecting, 'connected');
    await expect(
      rejecting.publish('/topic/x', 'later', { receipt: true }),
    ).resolves.toBeUndefined();
  });

  it('resubscribes a history subscription with x-history-after: every number once, in order', async () => {
    // No session resumption: the client must resubscribe, and x-history-after closes the gap.
    const broker = await TestBroker.start({ resume: { windowMs: 0 } });
    const topic = `/topic/hist.${unique('gap')}`;
    const publisher = await openClient({ url: broker.url });
    const spy = new SocketSpy();
    const subscriber = await openClient({
      url: broker.url,
      WebSocket: spy.WebSocket,
      reconnect: { initialDelayMs: 300, jitter: 0 },
    });
    const inbox = new Inbox();
    subscriber.subscribe(topic, inbox.handler, { history: 'all' });
    await subscriber.ping();

    await publishRange(publisher, topic, 1, 20);
    await inbox.waitFor(20);
    spy.kill();
    await waitForState(subscriber, 'reconnecting');
    await publishRange(publisher, topic, 21, 40); // while the subscriber is away
    await waitForState(subscriber, 'connected');
    await publishRange(publisher, topic, 41, 60);
    await inbox.waitFor(60);
    await sleep(50);

    expect(numbers(inbox)).toEqual(range(1, 60));
    expect(subscriber.states.at(-1)).toEqual(['connected', { resumed: false }]);
    const [first, again] = spy.sentFrames('SUBSCRIBE');
    expect(first!.headers['x-stream-offset']).toBe('first');
    expect(again!.headers.id).toBe(first!.headers.id);
    expect(again!.headers['x-history-after']).toBe(inbox.messages[19]!.headers['message-id']);
    expect(again!.headers['x-stream-offset']).toBeUndefined();
    // The broker sent nothing twice: the dedupe window was not what kept the order.
    expect(spy.receivedFrames('MESSAGE')).toHaveLength(60);
    expect(inbox.messages.slice(20, 40).every((m) => m.headers['x-history'] === 'true')).toBe(true);
  });

  it('lets the broker resume the session: no resubscription, no gap, no duplicate', async () => {
    const broker = await TestBroker.start();
    const topic = `/topic/hist.${unique('resume')}`;
    const publisher = await openClient({ url: broker.url });
    const spy = new SocketSpy();
    const subscriber = await openClient({
      url: broker.url,
      WebSocket: spy.WebSocket,
      reconnect: { initialDelayMs: 300, jitter: 0 },
    });
    const inbox = new Inbox();
    subscriber.subscribe(topic, inbox.handler, { history: 'all' });
    await subscriber.ping();

    await publishRange(publisher, topic, 1, 20);
    await inbox.waitFor(20);
    spy.kill();
    await waitForState(subscriber, 'reconnecting');
    await publishRange(publisher, topic, 21, 40);
    await waitForState(subscriber, 'connected');
    await publishRange(publisher, topic, 41, 60);
    await inbox.waitFor(60);
    await sleep(50);

    expect(numbers(inbox)).toEqual(range(1, 60));
    expect(subscriber.states.at(-1)).toEqual(['connected', { resumed: true }]);
    expect(spy.sentFrames('SUBSCRIBE')).toHaveLength(1);
    const [firstConnect, resumeConnect] = spy.sentFrames('CONNECT');
    expect(firstConnect!.headers['x-resume']).toBeUndefined();
    expect(resumeConnect!.headers['x-resume']).toBe(
      spy.receivedFrames('CONNECTED')[0]!.headers['x-resume-token'],
    );
    expect(resumeConnect!.headers['x-resume-after']).toBe(
      inbox.messages[19]!.headers['message-id'],
    );
    expect(spy.receivedFrames('MESSAGE')).toHaveLength(60);
  });

  it('survives a broker restart (LMDB): numbers before, during (queued) and after arrive once, in order', async () => {
    const dataDir = tempDataDir();
    const broker = await TestBroker.start({
      wsTransport: RESTARTABLE,
      store: 'lmdb',
      dataDir,
      destinations: [{ ...HISTORY_RULE, historyMaxMessages: 1000 }],
    });
    const topic = `/topic/hist.${unique('restart')}`;
    const reconnect = { initialDelayMs: 50, maxDelayMs: 200 };
    const publisher = await openClient({ url: broker.url, reconnect });
    const spy = new SocketSpy();
    const subscriber = await openClient({ url: broker.url, WebSocket: spy.WebSocket, reconnect });
    const inbox = new Inbox();
    subscriber.subscribe(topic, inbox.handler, { history: 'all' });
    await subscriber.ping();

    await publishRange(publisher, topic, 1, 10);
    await inbox.waitFor(10);
    await broker.stop();
    await waitForState(publisher, 'reconnecting');
    await waitForState(subscriber, 'reconnecting');
    const queued = publishRange(publisher, topic, 11, 20); // offline queue, flushed on reconnect
    await sleep(100);
    await broker.restart();
    await queued;
    await waitForState(subscriber, 'connected');
    await publishRange(publisher, topic, 21, 30);
    await inbox.waitFor(30);
    await sleep(50);

    expect(numbers(inbox)).toEqual(range(1, 30));
    const subscribes = spy.sentFrames('SUBSCRIBE');
    expect(subscribes).toHaveLength(2);
    expect(subscribes[1]!.headers['x-history-after']).toBe(
      inbox.messages[9]!.headers['message-id'],
    );
    expect(spy.receivedFrames('MESSAGE')).toHaveLength(30);
  });

  it('on resumption, sends acks and unsubscribes made while offline and nothing else', async () => {
    let connects = 0;
    const server = await fakeServer((frame, connection) => {
      if (frame.command === 'CONNECT') {
        connects++;
        if (connects === 1) {
          connection.send('CONNECTED', { version: '1.2', 'x-resume-token': 'T1' });
        } else {
          connection.send('CONNECTED', {
            version: '1.2',
            'x-resume-token': 'T2',
            'x-resumed': 'true',
          });
          // A message the restored subscription missed: stompjs has no handler for it on this socket.
          connection.send(
            'MESSAGE',
            { subscription: 'sub-1', 'message-id': 'm2', ack: 'a2', destination: '/queue/q' },
            'second',
          );
        }
      }
      if (frame.command === 'SUBSCRIBE' && frame.headers.id === 'sub-1') {
        connection.send(
          'MESSAGE',
          { subscription: 'sub-1', 'message-id': 'm1', ack: 'a1', destination: '/queue/q' },
          'first',
        );
      }
    });
    const c = await openClient({ url: server.url, reconnect: { initialDelayMs: 100 } });
    const inbox = new Inbox();
    c.subscribe('/queue/q', inbox.handler, { ack: 'client-individual' });
    const other = c.subscribe('/topic/other', () => {});
    const [m1] = await inbox.waitFor(1);
    server.connections[0]!.socket.terminate();
    await waitForState(c, 'reconnecting');
    m1!.ack();
    other.unsubscribe();
    await waitForState(c, 'connected');
    await inbox.waitFor(2);
    expect(inbox.bodies).toEqual(['first', 'second']);
    inbox.messages[1]!.ack();
    await sleep(50);

    const second = server.connections[1]!.frames;
    expect(second[0]!.headers).toMatchObject({ 'x-resume': 'T1', 'x-resume-after': 'm1' });
    expect(second.map((f) => `${f.command} ${f.headers.id ?? ''}`)).toEqual([
      'CONNECT ',
      'UNSUBSCRIBE sub-2',
      'ACK a1',
      'ACK a2',
    ]);
    expect(c.states.at(-1)).toEqual(['connected', { resumed: true }]);
  });

  it('without resumption, drops acks of the old session and rejects requests waiting on it', async () => {
    const server = await fakeServer((frame, connection) => {
      if (frame.command === 'CONNECT') connection.send('CONNECTED', { version: '1.2' });
      if (frame.command === 'SUBSCRIBE' && frame.headers.id === 'sub-1') {
        connection.send(
          'MESSAGE',
          { subscription: 'sub-1', 'message-id': 'm1', ack: 'a1', destination: '/queue/q' },
          'first',
        );
      }
    });
    const c = await openClient({ url: server.url, reconnect: { initialDelayMs: 100 } });
    const inbox = new Inbox();
    c.subscribe('/queue/q', inbox.handler, { ack: 'client' });
    const [m1] = await inbox.waitFor(1);
    const pending = c.request('/queue/svc', 'question', { timeoutMs: 5000 });
    await sleep(20);
    server.connections[0]!.socket.terminate();
    await waitForState(c, 'reconnecting');
    m1!.ack();
    await expect(pending).rejects.toThrow(/lost before the reply/);
    await waitForState(c, 'connected');
    // Resubscribed with the same id; the broker redelivers m1, which the app sees again to ack it.
    await sleep(50);
    const second = server.connections[1]!.frames;
    expect(second.map((f) => `${f.command} ${f.headers.id ?? ''}`)).toEqual([
      'CONNECT ',
      'SUBSCRIBE sub-1',
    ]);
    expect(second[1]!.headers.ack).toBe('client');
  });
});
