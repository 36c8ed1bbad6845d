/**
 * ActiveMQ queue browsing: SUBSCRIBE browser:true lists a queue's current messages
 * without consuming them, then sends a MESSAGE with browser:end.
 */
import { describe, expect, it, vi } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { bodiesOf, drainMessages } from '../../helpers/compat.js';
import type { Frame } from '../../helpers/frames.js';
import { type RawStompClient, uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

/** Browse on `c` with subscription `id`: the listed messages, then the browser:end frame. */
async function browse(
  c: RawStompClient,
  destination: string,
  id: string,
  extra: Record<string, string> = {},
): Promise<{ listed: Frame[]; end: Frame }> {
  c.send('SUBSCRIBE', { destination, id, browser: 'true', ...extra });
  const listed: Frame[] = [];
  for (;;) {
    const f = await c.message((m) => m.headers.subscription === id);
    if (f.headers.browser === 'end') return { listed, end: f };
    listed.push(f);
  }
}

describe('queue browsing', () => {
  it('lists current messages in order, ends with browser:end, and leaves them for a consumer', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('browse')}`;
    const pub = await b.connectTcp({}, 'pub');
    for (const body of ['b1', 'b2', 'b3']) await pub.publish(dest, body, { k: body });
    const browser = await b.connectTcp({}, 'browser');
    const { listed, end } = await browse(browser, dest, 'br');
    expect(bodiesOf(listed)).toEqual(['b1', 'b2', 'b3']);
    expect(listed.map((f) => f.headers.k)).toEqual(['b1', 'b2', 'b3']);
    expect(listed.every((f) => f.headers.destination === dest)).toBe(true);
    expect(end.headers.browser).toBe('end');
    expect(end.headers.subscription).toBe('br');
    expect(end.bodyText).toBe('');
    // Nothing more arrives on the browse subscription, even for new messages.
    await pub.publish(dest, 'b4');
    expect(await drainMessages(browser)).toEqual([]);

    // Browsing twice sees the same messages: nothing was consumed.
    const again = await browse(browser, dest, 'br2');
    expect(bodiesOf(again.listed)).toEqual(['b1', 'b2', 'b3', 'b4']);

    const consumer = await b.connectTcp({}, 'consumer');
    await consumer.subscribe(dest, 'c');
    expect(bodiesOf(await consumer.messages(4))).toEqual(['b1', 'b2', 'b3', 'b4']);
    expect(await drainMessages(consumer)).toEqual([]);
  });

  it('browsing an empty or unknown queue yields only browser:end', async () => {
    const b = await startBroker();
    const c = await b.connectTcp({}, 'c');
    const { listed, end } = await browse(c, `/queue/${uniqueName('empty')}`, 'e');
    expect(listed).toEqual([]);
    expect(end.headers.browser).toBe('end');
  });

  it('applies a selector while browsing', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('browsesel')}`;
    const pub = await b.connectTcp({}, 'pub');
    for (let i = 0; i < 6; i++) await pub.publish(dest, `m${i}`, { n: String(i) });
    const c = await b.connectTcp({}, 'c');
    const { listed } = await browse(c, dest, 'sel', { selector: 'n > 3' });
    expect(bodiesOf(listed)).toEqual(['m4', 'm5']);
    const consumer = await b.connectTcp({}, 'consumer');
    await consumer.subscribe(dest, 'all');
    expect(bodiesOf(await consumer.messages(6))).toHaveLength(6);
  });

  it('the browse subscription can be UNSUBSCRIBEd with a receipt', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('browseunsub')}`;
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'x');
    const c = await b.connectTcp({}, 'c');
    await browse(c, dest, 'br');
    await c.unsubscribe('br');
    await c.subscribe(dest, 'br');
    expect((await c.message()).bodyText).toBe('x');
  });
});
