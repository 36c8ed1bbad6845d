/**
 * Compatibility: stompit 1.x (Node, STOMP over TCP), used the way its README shows:
 * stompit.connect({ host, port, connectHeaders }), client.send()/sendString(),
 * client.subscribe(headers, (error, message) => message.readString(...)), client.ack(message),
 * client.disconnect(). stompit offers no receipt on SUBSCRIBE, so a subscription is confirmed by
 * a receipt on a later frame of the same connection (the broker handles frames in order).
 */
import stompit, { type Client, type Message, type SendOptions } from 'stompit';
import { describe, expect, it } from 'vitest';
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

interface Sp {
  client: Client;
  errors: Error[];
  publish(destination: string, body: string, headers?: Record<string, string>): Promise<void>;
  /** client.subscribe(), then a receipt barrier; `onMessage` gets each message (body read). */
  subscribe(
    destination: string,
    headers?: Record<string, string>,
    onMessage?: (m: Message, body: string) => void,
  ): Promise<Inbox>;
  disconnect(): Promise<void>;
}

let seq = 0;

async function connect(port: number, connectHeaders: Record<string, string> = {}): Promise<Sp> {
  const errors: Error[] = [];
  const client = await withTimeout(
    new Promise<Client>((resolve, reject) => {
      stompit.connect(
        {
          host: '127.0.0.1',
          port,
          timeout: WAIT_MS,
          connectHeaders: { host: '/', 'heart-beat': '0,0', ...connectHeaders },
        },
        (error, c) => (error ? reject(error) : resolve(c)),
      );
    }),
    WAIT_MS,
    `stompit CONNECTED on port ${port}`,
  );
  client.on('error', (e) => errors.push(e));
  cleanup(() => client.destroy());

  const receipted = (what: string, send: (options: SendOptions) => void) =>
    withTimeout(
      new Promise<void>((resolve) => send({ onReceipt: () => resolve() })),
      WAIT_MS,
      `RECEIPT for ${what} (errors: ${errors.map((e) => e.message).join('; ')})`,
    );

  return {
    client,
    errors,
    publish(destination, body, headers = {}) {
      return receipted(`SEND ${destination}`, (options) =>
        client.sendString({ ...headers, destination }, body, options),
      );
    },
    async subscribe(destination, headers = {}, onMessage) {
      const inbox = new Inbox(destination);
      client.subscribe({ ...headers, destination }, (error, message) => {
        if (error) {
          errors.push(error);
          return;
        }
        message.readString('utf-8', (readError, body = '') => {
          if (readError) {
            errors.push(readError);
            return;
          }
          onMessage?.(message, body);
          inbox.push({ headers: { ...message.headers }, body });
        });
      });
      // Barrier: BEGIN + ABORT with a receipt; it comes after the SUBSCRIBE has taken effect.
      seq++;
      const tx = `sync-${seq}`;
      client.sendFrame('BEGIN', { transaction: tx }).end();
      await receipted(`SUBSCRIBE ${destination}`, (options) =>
        client.sendFrame('ABORT', { transaction: tx }, options).end(),
      );
      return inbox;
    },
    disconnect() {
      return withTimeout(
        new Promise<void>((resolve, reject) =>
          client.disconnect((error) => (error ? reject(error) : resolve())),
        ),
        WAIT_MS,
        'stompit DISCONNECT receipt',
      );
    },
  };
}

describe('stompit over TCP', () => {
  it('publish/subscribe on a topic', async () => {
    const b = await startCompatBroker();
    const sub = await connect(b.tcpPort);
    expect(sub.client.headers.version).toBe('1.2');
    const pub = await connect(b.tcpPort);
    const inbox = await sub.subscribe('/topic/compat.pubsub');
    for (const body of ['one', 'two', 'three']) {
      await pub.publish('/topic/compat.pubsub', body, { 'x-lang': 'node', 'x-colon': 'a:b' });
    }
    const got = await inbox.waitForExactly(3);
    expect(got.map((m) => m.body)).toEqual(['one', 'two', 'three']);
    expect(got[0]!.headers.destination).toBe('/topic/compat.pubsub');
    expect(got[0]!.headers['x-lang']).toBe('node');
    expect(got[0]!.headers['x-colon']).toBe('a:b');
    expect(sub.errors).toEqual([]);
  });

  it('queue with client-individual acks: unacked messages are redelivered, flagged, to a new consumer', async () => {
    const b = await startCompatBroker();
    const pub = await connect(b.tcpPort);
    const bodies = ['m0', 'm1', 'm2', 'm3', 'm4'];
    for (const body of bodies)
      await pub.publish('/queue/compat.acks', body, { persistent: 'true' });

    const first = await connect(b.tcpPort);
    const delivered: Message[] = [];
    const a = await first.subscribe('/queue/compat.acks', { ack: 'client-individual' }, (m) =>
      delivered.push(m),
    );
    const got = await a.waitForExactly(5);
    expect(got.map((m) => m.body)).toEqual(bodies);
    expect(got.every((m) => m.headers.redelivered !== 'true')).toBe(true);
    first.client.ack(delivered[0]!);
    first.client.ack(delivered[2]!);
    await first.disconnect();

    const second = await connect(b.tcpPort);
    const c = await second.subscribe('/queue/compat.acks', { ack: 'client-individual' });
    const again = await c.waitForExactly(3);
    expect(again.map((m) => m.body).sort()).toEqual(['m1', 'm3', 'm4']);
    for (const m of again) expect(m.headers.redelivered).toBe('true');
    expect([...first.errors, ...second.errors]).toEqual([]);
  });

  it('selector on a topic subscription: only matching messages arrive', async () => {
    const b = await startCompatBroker();
    const sub = await connect(b.tcpPort);
    const pub = await connect(b.tcpPort);
    const inbox = await sub.subscribe('/topic/compat.sel', { selector: SELECTOR });
    for (const m of SELECTOR_MESSAGES) await pub.publish('/topic/compat.sel', m.body, m.headers);
    await inbox.waitFor(SELECTOR_MATCHES.length);
    await sleep(QUIET_MS);
    expect(inbox.bodies()).toEqual(SELECTOR_MATCHES);
  });

  it('durable subscription (client-id + activemq.subscriptionName) keeps messages while offline', async () => {
    const b = await startCompatBroker();
    const ident = { 'client-id': 'compat-stompit-durable' };
    const sub = { 'activemq.subscriptionName': 'stompit-sub' };
    const offline = await connect(b.tcpPort, ident);
    await offline.subscribe('/topic/compat.durable', sub);
    await offline.disconnect();

    const pub = await connect(b.tcpPort);
    for (const body of ['d1', 'd2', 'd3']) {
      await pub.publish('/topic/compat.durable', body, { persistent: 'true' });
    }

    const back = await connect(b.tcpPort, ident);
    const inbox = await back.subscribe('/topic/compat.durable', sub);
    const got = await inbox.waitForExactly(3);
    expect(got.map((m) => m.body)).toEqual(['d1', 'd2', 'd3']);
  });

  it('request/reply through a temp queue, ActiveMQ style (requester subscribes first)', async () => {
    const b = await startCompatBroker();
    const responder = await connect(b.tcpPort);
    const requests = await responder.subscribe('/queue/rpc', {}, (m, body) => {
      const replyTo = m.headers['reply-to'];
      if (!replyTo) return;
      responder.client.sendString(
        { destination: replyTo, 'correlation-id': m.headers['correlation-id'] ?? '' },
        `pong:${body}`,
      );
    });

    const requester = await connect(b.tcpPort);
    const replies = await requester.subscribe('/temp-queue/replies');
    await requester.publish('/queue/rpc', 'ping', {
      'reply-to': '/temp-queue/replies',
      'correlation-id': 'corr-stompit-1',
    });
    const [reply] = await replies.waitForExactly(1);
    expect(reply!.body).toBe('pong:ping');
    expect(reply!.headers['correlation-id']).toBe('corr-stompit-1');
    expect(requests.messages[0]!.headers['reply-to']).toMatch(/^\/reply-queue\//);
    expect([...requester.errors, ...responder.errors]).toEqual([]);
  });

  it('RabbitMQ tutorial: fanout exchange "logs" reaches every subscriber', async () => {
    const b = await startCompatBroker({ exchanges: [{ name: 'logs', type: 'fanout' }] });
    const one = await connect(b.tcpPort);
    const two = await connect(b.tcpPort);
    const pub = await connect(b.tcpPort);
    const a = await one.subscribe('/exchange/logs');
    const c = await two.subscribe('/exchange/logs');
    const logs = ['info: a', 'warn: b', 'error: c'];
    for (const body of logs) await pub.publish('/exchange/logs', body);
    expect((await a.waitForExactly(3)).map((m) => m.body)).toEqual(logs);
    expect((await c.waitForExactly(3)).map((m) => m.body)).toEqual(logs);
  });
});
