import { describe, expect, it, vi } from 'vitest';
import { startBroker } from '../helpers/broker.js';
import { uniqueName } from '../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

describe('SUBSCRIBE / UNSUBSCRIBE across protocol versions', () => {
  it.each(['1.1', '1.2'])('UNSUBSCRIBE by id stops delivery in STOMP %s', async (version) => {
    const b = await startBroker();
    const dest = `/topic/${uniqueName('ubid')}`;
    const c = await b.connectTcp({ 'accept-version': version });
    expect(c.version).toBe(version);
    await c.subscribe(dest, 'keep');
    await c.subscribe(dest, 'drop');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'both');
    expect((await c.messages(2)).map((m) => m.headers.subscription).sort()).toEqual([
      'drop',
      'keep',
    ]);
    await c.unsubscribe('drop');
    await pub.publish(dest, 'one');
    const m = await c.message();
    expect(m.headers.subscription).toBe('keep');
    expect(m.bodyText).toBe('one');
    await c.expectNoMessage();
  });

  it('UNSUBSCRIBE by destination stops delivery in STOMP 1.0 (SUBSCRIBE without id)', async () => {
    const b = await startBroker();
    const dest = `/topic/${uniqueName('ubdest')}`;
    const other = `/topic/${uniqueName('ubother')}`;
    const c = await b.connectTcp({ 'accept-version': '1.0' });
    expect(c.version).toBe('1.0');
    await c.sendWithReceipt('SUBSCRIBE', { destination: dest });
    await c.sendWithReceipt('SUBSCRIBE', { destination: other });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'first');
    const m = await c.message();
    expect(m.bodyText).toBe('first');
    expect(m.headers.destination).toBe(dest);
    await c.sendWithReceipt('UNSUBSCRIBE', { destination: dest });
    await pub.publish(dest, 'second');
    await pub.publish(other, 'still-subscribed');
    const m2 = await c.message();
    expect(m2.bodyText).toBe('still-subscribed');
    await c.expectNoMessage();
  });

  it('UNSUBSCRIBE by id works in STOMP 1.0 when SUBSCRIBE had an id', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('ub10id')}`;
    const c = await b.connectTcp({ 'accept-version': '1.0' });
    await c.sendWithReceipt('SUBSCRIBE', { destination: dest, id: 'named' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'x');
    const m = await c.message();
    expect(m.headers.subscription).toBe('named');
    await c.sendWithReceipt('UNSUBSCRIBE', { id: 'named' });
    await pub.publish(dest, 'y');
    await c.expectNoMessage();
  });

  it('uses the SUBSCRIBE id as the subscription header in STOMP 1.1', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('sub11')}`;
    const c = await b.connectTcp({ 'accept-version': '1.1' });
    await c.subscribe(dest, 'my-sub-11');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'x');
    const m = await c.message();
    expect(m.headers.subscription).toBe('my-sub-11');
    expect(m.headers.destination).toBe(dest);
    expect(m.headers['message-id']).toBeTruthy();
  });

  it('delivers client-individual messages in STOMP 1.1 with the message-id and subscription headers a 1.1 ACK needs', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('noack11')}`;
    const c = await b.connectTcp({ 'accept-version': '1.1' });
    await c.subscribe(dest, 's', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'x');
    const m = await c.message();
    expect(m.headers['message-id']).toBeTruthy();
    expect(m.headers.subscription).toBe('s');
  });
});
