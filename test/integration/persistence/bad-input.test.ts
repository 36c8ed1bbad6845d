/**
 * Invalid use of the persistence features gets an ERROR whose `message` header names
 * the problem, and has no other effect.
 */
import { describe, expect, it, vi } from 'vitest';
import type { BrokerContext } from '../../helpers/broker.js';
import type { Frame } from '../../helpers/frames.js';
import {
  drainUntilSentinel,
  PERSISTENT,
  startLmdbBroker,
  tempDataDir,
} from '../../helpers/persistence.js';
import { type RawStompClient, uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

const POLICY = { destinations: [{ match: '/topic/logs.>', historyMaxMessages: 10 }] };

async function lmdb(): Promise<BrokerContext> {
  return startLmdbBroker(await tempDataDir(), POLICY);
}

/** Send a frame with a receipt; expect an ERROR (carrying that receipt-id) instead of the RECEIPT. */
async function expectError(
  c: RawStompClient,
  command: string,
  headers: Record<string, string>,
  body = '',
): Promise<Frame> {
  const receipt = `bad-${uniqueName('r')}`;
  c.send(command, { ...headers, receipt }, body);
  const f = await c.waitForFrame(
    (x) =>
      x.command === 'ERROR' || (x.command === 'RECEIPT' && x.headers['receipt-id'] === receipt),
    `ERROR for ${command} ${JSON.stringify(headers)}`,
  );
  expect(f.command, `${command} ${JSON.stringify(headers)} was accepted`).toBe('ERROR');
  expect(f.headers['receipt-id']).toBe(receipt);
  expect(f.headers.message, 'ERROR has a message header').toBeTruthy();
  return f;
}

describe('bad input to the persistence features', () => {
  const sendCases: Array<{ name: string; headers: Record<string, string>; problem: RegExp }> = [
    { name: 'expires:abc', headers: { expires: 'abc' }, problem: /expires/i },
    { name: 'priority:x', headers: { priority: 'x' }, problem: /priority/i },
    { name: 'priority:12', headers: { priority: '12' }, problem: /priority/i },
    { name: 'priority:-1', headers: { priority: '-1' }, problem: /priority/i },
  ];
  for (const k of sendCases) {
    it(`SEND with ${k.name} → ERROR naming the header; the message is not queued`, async () => {
      const b = await lmdb();
      const dest = `/queue/${uniqueName('bad')}`;
      const c = await b.connectTcp({}, 'sender');
      const err = await expectError(
        c,
        'SEND',
        { destination: dest, ...PERSISTENT, ...k.headers },
        'x',
      );
      expect(err.headers.message).toMatch(k.problem);
      const consumer = await b.connectTcp({}, 'consumer');
      await consumer.subscribe(dest, 's', { ack: 'auto' });
      const pub = await b.connectTcp({}, 'pub');
      expect(await drainUntilSentinel(consumer, pub, dest)).toEqual([]);
    });
  }

  it('a history request on a topic without retention → ERROR naming the topic', async () => {
    const b = await lmdb();
    const topic = `/topic/plain.${uniqueName('t')}`;
    const requests: Array<Record<string, string>> = [
      { 'x-history-last': '5' },
      { 'x-history-since': String(Date.now() - 1000) },
      { 'x-stream-offset': 'first' },
    ];
    for (const headers of requests) {
      const c = await b.connectTcp({}, 'sub');
      const err = await expectError(c, 'SUBSCRIBE', {
        destination: topic,
        id: 's',
        ack: 'auto',
        ...headers,
      });
      expect(`${err.headers.message}\n${err.bodyText}`).toContain(topic);
      expect(err.headers.message).toMatch(/histor|retention|retain/i);
    }
  });

  it('x-stream-offset:offset=5 → ERROR naming x-stream-offset', async () => {
    const b = await lmdb();
    const c = await b.connectTcp({}, 'sub');
    const err = await expectError(c, 'SUBSCRIBE', {
      destination: `/topic/logs.${uniqueName('o')}`,
      id: 's',
      ack: 'auto',
      'x-stream-offset': 'offset=5',
    });
    expect(`${err.headers.message}\n${err.bodyText}`).toMatch(/x-stream-offset/);
  });

  it('ERROR for malformed history headers on a topic with retention', async () => {
    const b = await lmdb();
    const requests: Array<Record<string, string>> = [
      { 'x-history-last': 'many' },
      { 'x-history-since': 'yesterday' },
      { 'x-stream-offset': 'timestamp=soon' },
    ];
    for (const headers of requests) {
      const c = await b.connectTcp({}, 'sub');
      const err = await expectError(c, 'SUBSCRIBE', {
        destination: `/topic/logs.${uniqueName('m')}`,
        id: 's',
        ack: 'auto',
        ...headers,
      });
      const name = Object.keys(headers)[0]!;
      expect(`${err.headers.message}\n${err.bodyText}`, `ERROR for ${name}`).toContain(name);
    }
  });

  it('UNSUBSCRIBE naming an unknown durable subscription → ERROR (both dialects)', async () => {
    const b = await lmdb();
    const amq = await b.connectTcp({ 'client-id': uniqueName('cid') }, 'activemq');
    const e1 = await expectError(amq, 'UNSUBSCRIBE', {
      id: 'nope',
      'activemq.subscriptionName': 'nope',
    });
    expect(`${e1.headers.message}\n${e1.bodyText}`).toMatch(/durable|subscription/i);
    const rabbit = await b.connectTcp({}, 'rabbitmq');
    const e2 = await expectError(rabbit, 'UNSUBSCRIBE', { id: 'nope', durable: 'true' });
    expect(`${e2.headers.message}\n${e2.bodyText}`).toMatch(/durable|subscription/i);
  });

  it('activemq.subscriptionName without client-id on CONNECT → ERROR naming client-id', async () => {
    const b = await lmdb();
    const c = await b.connectTcp({}, 'no client-id');
    const err = await expectError(c, 'SUBSCRIBE', {
      destination: `/topic/${uniqueName('t')}`,
      id: 's',
      'activemq.subscriptionName': 'S',
    });
    expect(err.headers.message).toMatch(/client-id/);
  });

  it('a second live connection with the same client-id → ERROR "already connected"; the first keeps working', async () => {
    const b = await lmdb();
    const clientId = uniqueName('cid');
    const dest = `/queue/${uniqueName('q')}`;
    const first = await b.connectTcp({ 'client-id': clientId }, 'first');
    await first.subscribe(dest, 's', { ack: 'auto' });
    const second = await b.tcp('second');
    second.send('CONNECT', { 'accept-version': '1.2', host: 'localhost', 'client-id': clientId });
    const err = await second.expectFrame('ERROR');
    expect(err.headers.message).toMatch(/already connected/);
    await second.expectClosed();
    await first.publish(dest, 'ok', { ...PERSISTENT });
    expect((await first.message()).bodyText).toBe('ok');
    expect(first.isClosed).toBe(false);
  });
});
