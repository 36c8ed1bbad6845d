/**
 * ActiveMQ STOMP headers: activemq.exclusive, activemq.noLocal, activemq.dispatchAsync,
 * transformation, CONNECT host; broker-set timestamp and pass-through JMS-ish headers.
 */
import { describe, expect, it, vi } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { bodiesOf, drainMessages } from '../../helpers/compat.js';
import { uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

describe('activemq.exclusive', () => {
  it('an exclusive consumer gets every message while it lives, then another consumer takes over', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('excl')}`;
    const normal = await b.connectTcp({}, 'normal');
    await normal.subscribe(dest, 'n');
    const exclusive = await b.connectTcp({}, 'exclusive');
    await exclusive.subscribe(dest, 'x', { 'activemq.exclusive': 'true' });
    const normal2 = await b.connectTcp({}, 'normal2');
    await normal2.subscribe(dest, 'n2');
    const pub = await b.connectTcp({}, 'pub');
    for (let i = 0; i < 9; i++) pub.send('SEND', { destination: dest }, `e${i}`);
    await pub.publish(dest, 'e9');
    expect(bodiesOf(await exclusive.messages(10))).toEqual(
      Array.from({ length: 10 }, (_, i) => `e${i}`),
    );
    expect(await drainMessages(normal)).toEqual([]);
    expect(await drainMessages(normal2)).toEqual([]);

    await exclusive.disconnect();
    for (let i = 0; i < 3; i++) pub.send('SEND', { destination: dest }, `after${i}`);
    await pub.publish(dest, 'after3');
    const rest = [...(await drainMessages(normal)), ...(await drainMessages(normal2))];
    expect(bodiesOf(rest).sort()).toEqual(['after0', 'after1', 'after2', 'after3']);
  });
});

describe('activemq.noLocal', () => {
  it('a topic subscriber does not receive what its own connection published', async () => {
    const b = await startBroker();
    const dest = `/topic/${uniqueName('nolocal')}`;
    const self = await b.connectTcp({}, 'self');
    await self.subscribe(dest, 'nl', { 'activemq.noLocal': 'true' });
    await self.subscribe(dest, 'local-ok');
    const other = await b.connectTcp({}, 'other');
    await self.publish(dest, 'mine');
    await other.publish(dest, 'theirs');
    const got = await drainMessages(self);
    expect(got.filter((f) => f.headers.subscription === 'nl').map((f) => f.bodyText)).toEqual([
      'theirs',
    ]);
    // Without noLocal the same connection does get its own messages.
    expect(got.filter((f) => f.headers.subscription === 'local-ok').map((f) => f.bodyText)).toEqual(
      ['mine', 'theirs'],
    );
  });
});

describe('accepted ActiveMQ headers', () => {
  it('accepts activemq.dispatchAsync and transformation on SUBSCRIBE and SEND, body untouched', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('hdrs')}`;
    const c = await b.connectTcp({}, 'c');
    await c.subscribe(dest, 's', {
      'activemq.dispatchAsync': 'true',
      'activemq.prefetchSize': '10',
      transformation: 'jms-byte',
    });
    const pub = await b.connectTcp({}, 'pub');
    const body = '{"a":1}';
    await pub.publish(dest, body, {
      transformation: 'jms-json',
      'content-type': 'application/json',
    });
    const f = await c.message();
    expect(f.bodyText).toBe(body);
    expect(f.headers['content-type']).toBe('application/json');
  });

  it('ignores the host header on CONNECT (any virtual host name is fine)', async () => {
    const b = await startBroker();
    for (const host of ['localhost', 'some.other.vhost', '/', 'rabbit-vhost']) {
      const c = await b.tcp(`host=${host}`);
      const connected = await c.connect({ host });
      expect(connected.headers.version).toBe('1.2');
      await c.disconnect();
    }
  });
});

describe('message headers', () => {
  it('sets timestamp and passes correlation-id, type, reply-to, expires, priority, persistent through', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('pass')}`;
    const replyTo = `/queue/${uniqueName('replies')}`;
    const expires = String(Date.now() + 60_000);
    const pub = await b.connectTcp({}, 'pub');
    const before = Date.now();
    await pub.publish(dest, 'with-headers', {
      'correlation-id': 'corr-1',
      type: 'OrderCreated',
      'reply-to': replyTo,
      expires,
      priority: '7',
      persistent: 'true',
      'x-app': 'yes',
    });
    const after = Date.now();
    const c = await b.connectTcp({}, 'c');
    await c.subscribe(dest, 's');
    const f = await c.message();
    const ts = Number(f.headers.timestamp);
    expect(Number.isInteger(ts)).toBe(true);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(after);
    expect(f.headers['correlation-id']).toBe('corr-1');
    expect(f.headers.type).toBe('OrderCreated');
    expect(f.headers['reply-to']).toBe(replyTo);
    expect(f.headers.expires).toBe(expires);
    expect(f.headers.priority).toBe('7');
    expect(f.headers.persistent).toBe('true');
    expect(f.headers['x-app']).toBe('yes');
  });

  it('overrides a client-supplied timestamp with the broker’s own on topics too', async () => {
    const b = await startBroker();
    const dest = `/topic/${uniqueName('ts')}`;
    const c = await b.connectTcp({}, 'c');
    await c.subscribe(dest, 's');
    const pub = await b.connectTcp({}, 'pub');
    const before = Date.now();
    await pub.publish(dest, 'x', { timestamp: '12345' });
    const f = await c.message();
    expect(Number(f.headers.timestamp)).toBeGreaterThanOrEqual(before);
  });
});
