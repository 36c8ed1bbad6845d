import { describe, expect, it } from 'vitest';
import { startBroker } from '../helpers/broker.js';
import { uniqueName } from '../helpers/raw-client.js';

/**
 * Session resumption: a browser whose connection drops reconnects with the
 * token from its CONNECTED frame and carries on where it was.
 */
describe('session resumption', () => {
  it('gives a resumed connection its subscriptions and the topic messages it missed, in order', async () => {
    const b = await startBroker();
    const topic = `/topic/${uniqueName('resume')}`;
    const first = await b.ws({ label: 'first' });
    const connected = await first.connect();
    const token = connected.headers['x-resume-token'];
    expect(token).toBeTruthy();
    await first.subscribe(topic, 'live');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(topic, 'before');
    const before = await first.message();
    expect(before.bodyText).toBe('before');
    first.destroy();
    await first.expectClosed();
    for (const body of ['away-1', 'away-2']) await pub.publish(topic, body);

    const second = await b.ws({ label: 'second' });
    const resumed = await second.connect({
      'x-resume': token!,
      'x-resume-after': before.headers['message-id']!,
    });
    expect(resumed.headers['x-resumed']).toBe('true');
    expect(resumed.headers['x-resume-token']).not.toBe(token);
    expect(resumed.headers.session).toBe(connected.headers.session);
    const missed = await second.messages(2);
    expect(missed.map((m) => [m.bodyText, m.headers.subscription])).toEqual([
      ['away-1', 'live'],
      ['away-2', 'live'],
    ]);
    // Live delivery continues on the same subscription without a new SUBSCRIBE.
    await pub.publish(topic, 'after');
    expect((await second.message()).bodyText).toBe('after');
    await second.expectNoMessage();
  });

  it('keeps unacked queue messages for the resumed connection instead of redelivering them elsewhere', async () => {
    const b = await startBroker();
    const queue = `/queue/${uniqueName('resumeq')}`;
    const first = await b.ws({ label: 'first' });
    const token = (await first.connect())['headers']['x-resume-token']!;
    await first.subscribe(queue, 'q', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(queue, 'job');
    const delivered = await first.message();
    first.destroy();
    await first.expectClosed();
    const rival = await b.connectTcp({}, 'rival');
    await rival.subscribe(queue, 'r');
    await rival.expectNoMessage();

    const second = await b.ws({ label: 'second' });
    const resumed = await second.connect({ 'x-resume': token });
    expect(resumed.headers['x-resumed']).toBe('true');
    const again = await second.message();
    expect(again.bodyText).toBe('job');
    expect(again.headers.redelivered).toBe('true');
    // The original ack id still settles it.
    await second.sendWithReceipt('ACK', { id: delivered.headers.ack! });
    await second.disconnect();
    await rival.expectNoMessage();
  });

  it('refuses an unknown or expired token by simply not resuming', async () => {
    const b = await startBroker({ resume: { windowMs: 100 } });
    const first = await b.ws({ label: 'first' });
    const token = (await first.connect())['headers']['x-resume-token']!;
    await first.subscribe(`/topic/${uniqueName('gone')}`, 's');
    first.destroy();
    await first.expectClosed();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const second = await b.ws({ label: 'second' });
    const frame = await second.connect({ 'x-resume': token });
    expect(frame.headers['x-resumed']).toBeUndefined();
    const third = await b.ws({ label: 'third' });
    expect(
      (await third.connect({ 'x-resume': 'not-a-token' })).headers['x-resumed'],
    ).toBeUndefined();
  });

  it('releases a dropped TCP consumer at once: its unacked messages go to the others', async () => {
    const b = await startBroker();
    const queue = `/queue/${uniqueName('tcpdrop')}`;
    const consumer = await b.connectTcp({}, 'consumer');
    await consumer.subscribe(queue, 'c', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(queue, 'work');
    await consumer.message();
    consumer.destroy();
    const other = await b.connectTcp({}, 'other');
    await other.subscribe(queue, 'o');
    const m = await other.message();
    expect(m.bodyText).toBe('work');
    expect(m.headers.redelivered).toBe('true');
  });
});
