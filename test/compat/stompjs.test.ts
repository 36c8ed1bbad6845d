/**
 * Compatibility: @stomp/stompjs (the browser/Node client most Web-STOMP users have) over
 * WebSocket, written the way its users write it: a Client with a webSocketFactory, publish(),
 * subscribe() with a callback, message.ack(), onUnhandledMessage for RabbitMQ-style replies.
 */
import { Client, type IMessage, type StompHeaders } from '@stomp/stompjs';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  cleanup,
  Inbox,
  QUIET_MS,
  SELECTOR,
  SELECTOR_MATCHES,
  SELECTOR_MESSAGES,
  sleep,
  startCompatBroker,
  WAIT_MS,
  withTimeout,
} from './support.js';

const PROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

interface Js {
  client: Client;
  /** Headers of the broker's CONNECTED frame. */
  connected: StompHeaders;
  /** Receipt-confirmed publish: the broker has taken the message. */
  publish(destination: string, body: string, headers?: StompHeaders): Promise<void>;
  /** Receipt-confirmed subscribe into an Inbox; `onMessage` runs for each message first. */
  subscribe(
    destination: string,
    headers?: StompHeaders,
    onMessage?: (m: IMessage) => void,
  ): Promise<{ inbox: Inbox; unsubscribe(): void }>;
  /** Messages for which no subscription exists (RabbitMQ-style temp-queue replies). */
  unhandled: Inbox;
  /** Graceful DISCONNECT. */
  disconnect(): Promise<void>;
}

let seq = 0;

async function connect(url: string, connectHeaders: StompHeaders = {}): Promise<Js> {
  const unhandled = new Inbox('onUnhandledMessage');
  const client = new Client({
    webSocketFactory: () => new WebSocket(url, PROTOCOLS),
    connectHeaders,
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    debug: () => {},
  });
  client.onUnhandledMessage = (m) => unhandled.push({ headers: { ...m.headers }, body: m.body });
  const errors: string[] = [];
  const connected = await withTimeout(
    new Promise<StompHeaders>((resolve, reject) => {
      client.onConnect = (frame) => resolve(frame.headers);
      client.onStompError = (f) => {
        errors.push(`${f.headers.message}: ${f.body}`);
        reject(new Error(`stompjs ERROR ${f.headers.message}: ${f.body}`));
      };
      client.onWebSocketClose = (e) => reject(new Error(`WebSocket closed (${e?.code})`));
      client.activate();
    }),
    WAIT_MS,
    `stompjs CONNECTED from ${url}`,
  );
  client.onStompError = (f) => errors.push(`${f.headers.message}: ${f.body}`);
  cleanup(() => client.deactivate({ force: true }));

  const receipt = (prefix: string) => {
    seq++;
    const id = `${prefix}-${seq}`;
    const done = withTimeout(
      new Promise<void>((resolve) => client.watchForReceipt(id, () => resolve())),
      WAIT_MS,
      `RECEIPT ${id} (errors: ${JSON.stringify(errors)})`,
    );
    return { id, done };
  };

  return {
    client,
    connected,
    unhandled,
    async publish(destination, body, headers = {}) {
      const r = receipt('pub');
      client.publish({ destination, body, headers: { ...headers, receipt: r.id } });
      await r.done;
    },
    async subscribe(destination, headers = {}, onMessage) {
      const inbox = new Inbox(destination);
      const r = receipt('sub');
      const sub = client.subscribe(
        destination,
        (m) => {
          onMessage?.(m);
          inbox.push({ headers: { ...m.headers }, body: m.body });
        },
        { ...headers, receipt: r.id },
      );
      await r.done;
      return { inbox, unsubscribe: () => sub.unsubscribe() };
    },
    async disconnect() {
      await withTimeout(client.deactivate(), WAIT_MS, 'stompjs deactivate');
    },
  };
}

describe('@stomp/stompjs over WebSocket', () => {
  it('publish/subscribe on a topic', async () => {
    const b = await startCompatBroker();
    const sub = await connect(b.wsUrl);
    expect(sub.connected.version).toBe('1.2');
    const pub = await connect(b.wsUrl);
    const { inbox } = await sub.subscribe('/topic/compat.pubsub');
    for (const body of ['one', 'two', 'three']) {
      await pub.publish('/topic/compat.pubsub', body, { 'x-lang': 'js', 'x-colon': 'a:b' });
    }
    const got = await inbox.waitForExactly(3);
    expect(got.map((m) => m.body)).toEqual(['one', 'two', 'three']);
    expect(got[0]!.headers.destination).toBe('/topic/compat.pubsub');
    expect(got[0]!.headers['x-lang']).toBe('js');
    expect(got[0]!.headers['x-colon']).toBe('a:b');
    expect(got[0]!.headers['message-id']).toBeTruthy();
  });

  it('queue with client-individual acks: unacked messages are redelivered, flagged, to a new consumer', async () => {
    const b = await startCompatBroker();
    const pub = await connect(b.wsUrl);
    const bodies = ['m0', 'm1', 'm2', 'm3', 'm4'];
    for (const body of bodies)
      await pub.publish('/queue/compat.acks', body, { persistent: 'true' });

    const first = await connect(b.wsUrl);
    const firstMessages: IMessage[] = [];
    const a = await first.subscribe('/queue/compat.acks', { ack: 'client-individual' }, (m) =>
      firstMessages.push(m),
    );
    const got = await a.inbox.waitForExactly(5);
    expect(got.map((m) => m.body)).toEqual(bodies);
    expect(got.every((m) => m.headers.redelivered !== 'true')).toBe(true);
    firstMessages[0]!.ack();
    firstMessages[2]!.ack();
    await first.disconnect();

    const second = await connect(b.wsUrl);
    const c = await second.subscribe('/queue/compat.acks', { ack: 'client-individual' });
    const again = await c.inbox.waitForExactly(3);
    expect(again.map((m) => m.body).sort()).toEqual(['m1', 'm3', 'm4']);
    for (const m of again) expect(m.headers.redelivered).toBe('true');
  });

  it('selector on a topic subscription: only matching messages arrive', async () => {
    const b = await startCompatBroker();
    const sub = await connect(b.wsUrl);
    const pub = await connect(b.wsUrl);
    const { inbox } = await sub.subscribe('/topic/compat.sel', { selector: SELECTOR });
    for (const m of SELECTOR_MESSAGES) await pub.publish('/topic/compat.sel', m.body, m.headers);
    await inbox.waitFor(SELECTOR_MATCHES.length);
    await sleep(QUIET_MS);
    expect(inbox.bodies()).toEqual(SELECTOR_MATCHES);
  });

  it('durable subscription (client-id + activemq.subscriptionName) keeps messages while offline', async () => {
    const b = await startCompatBroker();
    const ident = { 'client-id': 'compat-js-durable' };
    const sub = { 'activemq.subscriptionName': 'js-sub' };
    const offline = await connect(b.wsUrl, ident);
    await offline.subscribe('/topic/compat.durable', sub);
    await offline.disconnect();

    const pub = await connect(b.wsUrl);
    for (const body of ['d1', 'd2', 'd3']) {
      await pub.publish('/topic/compat.durable', body, { persistent: 'true' });
    }

    const back = await connect(b.wsUrl, ident);
    const { inbox } = await back.subscribe('/topic/compat.durable', sub);
    const got = await inbox.waitForExactly(3);
    expect(got.map((m) => m.body)).toEqual(['d1', 'd2', 'd3']);
  });

  /** A responder that answers each request on /queue/rpc to its reply-to header. */
  async function startResponder(wsUrl: string) {
    const responder = await connect(wsUrl);
    const requests = await responder.subscribe('/queue/rpc', {}, (m) => {
      const replyTo = m.headers['reply-to'];
      if (!replyTo) return;
      responder.client.publish({
        destination: replyTo,
        body: `pong:${m.body}`,
        headers: { 'correlation-id': m.headers['correlation-id'] ?? '' },
      });
    });
    return requests.inbox;
  }

  it('request/reply through a temp queue, ActiveMQ style (requester subscribes first)', async () => {
    const b = await startCompatBroker();
    const requests = await startResponder(b.wsUrl);
    const requester = await connect(b.wsUrl);
    const { inbox: replies } = await requester.subscribe('/temp-queue/replies');
    await requester.publish('/queue/rpc', 'ping', {
      'reply-to': '/temp-queue/replies',
      'correlation-id': 'corr-js-1',
    });
    const [reply] = await replies.waitForExactly(1);
    expect(reply!.body).toBe('pong:ping');
    expect(reply!.headers['correlation-id']).toBe('corr-js-1');
    // The responder saw an opaque, routable reply address, not the requester's private name.
    const [request] = requests.messages;
    expect(request!.headers['reply-to']).toMatch(/^\/reply-queue\//);
    expect(requester.unhandled.messages).toEqual([]);
  });

  it('request/reply through a temp queue, RabbitMQ style (no SUBSCRIBE; onUnhandledMessage)', async () => {
    const b = await startCompatBroker();
    const requests = await startResponder(b.wsUrl);
    const requester = await connect(b.wsUrl);
    await requester.publish('/queue/rpc', 'ping', {
      'reply-to': '/temp-queue/replies',
      'correlation-id': 'corr-js-2',
    });
    const [reply] = await requester.unhandled.waitForExactly(1);
    expect(reply!.body).toBe('pong:ping');
    expect(reply!.headers['correlation-id']).toBe('corr-js-2');
    expect(requests.messages[0]!.headers['reply-to']).toMatch(/^\/reply-queue\//);
  });

  it('RabbitMQ tutorial: fanout exchange "logs" reaches every subscriber', async () => {
    const b = await startCompatBroker({ exchanges: [{ name: 'logs', type: 'fanout' }] });
    const one = await connect(b.wsUrl);
    const two = await connect(b.wsUrl);
    const pub = await connect(b.wsUrl);
    const { inbox: a } = await one.subscribe('/exchange/logs');
    const { inbox: c } = await two.subscribe('/exchange/logs');
    for (const body of ['info: a', 'warn: b', 'error: c'])
      await pub.publish('/exchange/logs', body);
    expect((await a.waitForExactly(3)).map((m) => m.body)).toEqual([
      'info: a',
      'warn: b',
      'error: c',
    ]);
    expect((await c.waitForExactly(3)).map((m) => m.body)).toEqual([
      'info: a',
      'warn: b',
      'error: c',
    ]);
  });
});
