import { describe, expect, it, vi } from 'vitest';
import { type BrokerContext, startBroker, WS_TRANSPORTS } from '../helpers/broker.js';
import type { Frame } from '../helpers/frames.js';
import type { RawStompClient } from '../helpers/raw-client.js';
import { uniqueName } from '../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

const LIMITS = { maxFrameSize: 64 * 1024, maxHeaders: 16, maxHeaderLineLength: 512 };

interface BadCase {
  name: string;
  version: '1.0' | '1.1' | '1.2';
  /** Raw bytes; `dest` is a topic the bystander listens on. */
  bytes: (dest: string) => string | Buffer;
  /** When set, the ERROR must carry receipt-id with this value. */
  receipt?: string;
}

const cases: BadCase[] = [
  {
    name: 'a header line without a colon',
    version: '1.2',
    bytes: (d) => `SEND\ndestination:${d}\nthis-line-has-no-colon\n\nBAD\0`,
  },
  {
    name: 'an unknown command FOO',
    version: '1.2',
    bytes: () => 'FOO\nreceipt:foo-r\n\n\0',
    receipt: 'foo-r',
  },
  {
    name: 'a SEND without destination',
    version: '1.2',
    bytes: () => 'SEND\nreceipt:nodest-r\ncontent-type:text/plain\n\nBAD\0',
    receipt: 'nodest-r',
  },
  {
    name: 'a SUBSCRIBE without id in STOMP 1.2',
    version: '1.2',
    bytes: (d) => `SUBSCRIBE\ndestination:${d}\nreceipt:noid12-r\n\n\0`,
    receipt: 'noid12-r',
  },
  {
    name: 'a SUBSCRIBE without id in STOMP 1.1',
    version: '1.1',
    bytes: (d) => `SUBSCRIBE\ndestination:${d}\nreceipt:noid11-r\n\n\0`,
    receipt: 'noid11-r',
  },
  {
    name: 'an ACK without id in STOMP 1.2',
    version: '1.2',
    bytes: () => 'ACK\nmessage-id:whatever\nsubscription:0\nreceipt:ack-r\n\n\0',
    receipt: 'ack-r',
  },
  {
    name: 'a frame larger than limits.maxFrameSize (declared by content-length)',
    version: '1.2',
    bytes: (d) => {
      const body = Buffer.alloc(100 * 1024, 'B');
      return Buffer.concat([
        Buffer.from(`SEND\ndestination:${d}\ncontent-length:${body.length}\n\n`),
        body,
        Buffer.from([0]),
      ]);
    },
  },
  {
    name: 'a frame larger than limits.maxFrameSize (no content-length, no NUL yet)',
    version: '1.2',
    bytes: (d) => `SEND\ndestination:${d}\n\n${'B'.repeat(100 * 1024)}`,
  },
  {
    name: 'more headers than limits.maxHeaders',
    version: '1.2',
    bytes: (d) => {
      let s = `SEND\ndestination:${d}\n`;
      for (let i = 0; i < 40; i++) s += `x-h${i}:${i}\n`;
      return `${s}\nBAD\0`;
    },
  },
  {
    name: 'a header line longer than limits.maxHeaderLineLength',
    version: '1.2',
    bytes: (d) => `SEND\ndestination:${d}\nx-long:${'L'.repeat(2000)}\n\nBAD\0`,
  },
  {
    name: 'an undefined escape sequence \\t in a STOMP 1.2 header',
    version: '1.2',
    bytes: (d) => `SEND\ndestination:${d}\nx-esc:a\\tb\n\nBAD\0`,
  },
  {
    name: 'a NACK without id in STOMP 1.2',
    version: '1.2',
    bytes: () => 'NACK\nreceipt:nack-r\n\n\0',
    receipt: 'nack-r',
  },
  {
    name: 'an UNSUBSCRIBE without id in STOMP 1.2',
    version: '1.2',
    bytes: () => 'UNSUBSCRIBE\nreceipt:unsub-r\n\n\0',
    receipt: 'unsub-r',
  },
  {
    name: 'a BEGIN without a transaction header',
    version: '1.2',
    bytes: () => 'BEGIN\nreceipt:begin-r\n\n\0',
    receipt: 'begin-r',
  },
  {
    name: 'a body longer than its content-length (no NUL where it must be)',
    version: '1.2',
    bytes: (d) => `SEND\ndestination:${d}\ncontent-length:3\n\nBADBAD\0`,
  },
  {
    name: 'a non-numeric content-length',
    version: '1.2',
    bytes: (d) => `SEND\ndestination:${d}\ncontent-length:abc\n\nBAD\0`,
  },
];

function assertReadableError(err: Frame): void {
  expect(err.command).toBe('ERROR');
  expect(err.headers.message, 'ERROR must have a message header').toBeTruthy();
  expect(err.body.length, 'ERROR should have a body').toBeGreaterThan(0);
  expect(err.bodyText).not.toContain('\uFFFD');
  expect(Buffer.from(err.bodyText, 'utf8').equals(err.body)).toBe(true);
}

async function withBystander(b: BrokerContext, connectBystander: () => Promise<RawStompClient>) {
  const dest = `/topic/${uniqueName('bystander')}`;
  const bystander = await connectBystander();
  await bystander.subscribe(dest, 'by');
  const publisher = await b.connectTcp({}, 'publisher');
  return { dest, bystander, publisher };
}

describe('malformed frames over TCP: ERROR, then close, only for the offending connection', () => {
  it.each(cases)('$name', async (c) => {
    const b = await startBroker({ limits: LIMITS });
    const { dest, bystander, publisher } = await withBystander(b, () =>
      b.connectTcp({}, 'bystander'),
    );
    await publisher.publish(dest, 'before');
    expect((await bystander.message()).bodyText).toBe('before');

    const bad = await b.connectTcp({ 'accept-version': c.version }, 'offender');
    expect(bad.version).toBe(c.version);
    bad.sendRaw(c.bytes(dest));
    // Keep traffic flowing for the bystander while the offender is being dealt with.
    for (let i = 0; i < 5; i++) publisher.send('SEND', { destination: dest }, `during-${i}`);

    const err = await bad.waitForCommand('ERROR');
    assertReadableError(err);
    if (c.receipt) expect(err.headers['receipt-id']).toBe(c.receipt);
    await bad.expectClosed();
    expect(bad.history.filter((f) => f.command === 'MESSAGE')).toEqual([]);

    await publisher.publish(dest, 'after');
    const got = await bystander.messages(6);
    expect(got.map((m) => m.bodyText)).toEqual([
      'during-0',
      'during-1',
      'during-2',
      'during-3',
      'during-4',
      'after',
    ]);
    await bystander.expectNoFrame((f) => f.bodyText === 'BAD' || f.command === 'ERROR');
    expect(bystander.isClosed).toBe(false);
    expect(publisher.isClosed).toBe(false);
  });

  it('accepts a SUBSCRIBE without id in STOMP 1.0', async () => {
    const b = await startBroker();
    const c = await b.connectTcp({ 'accept-version': '1.0' });
    const dest = `/topic/${uniqueName('noid10')}`;
    await c.sendWithReceipt('SUBSCRIBE', { destination: dest });
    await c.sendWithReceipt('SEND', { destination: dest }, 'ok');
    expect((await c.message()).bodyText).toBe('ok');
    expect(c.history.filter((f) => f.command === 'ERROR')).toEqual([]);
  });

  it('accepts a frame exactly at the header limits', async () => {
    const b = await startBroker({ limits: LIMITS });
    const c = await b.connectTcp();
    const dest = `/topic/${uniqueName('atlimit')}`;
    await c.subscribe(dest, 's');
    const headers: Record<string, string> = { destination: dest };
    for (let i = 0; i < 8; i++) headers[`x-h${i}`] = String(i);
    headers['x-long'] = 'L'.repeat(300);
    await c.sendWithReceipt('SEND', headers, 'fits');
    const m = await c.message();
    expect(m.bodyText).toBe('fits');
    expect(m.headers['x-long']).toBe('L'.repeat(300));
  });

  it('accepts a body just under limits.maxFrameSize', async () => {
    const b = await startBroker({ limits: LIMITS });
    const c = await b.connectTcp();
    const dest = `/queue/${uniqueName('under')}`;
    await c.subscribe(dest, 's');
    const body = Buffer.alloc(32 * 1024, 'u');
    await c.sendWithReceipt('SEND', { destination: dest }, body);
    expect((await c.message()).body.length).toBe(body.length);
  });

  it('sends ERROR with receipt-id for a bad frame asking for a receipt, even after earlier good frames', async () => {
    const b = await startBroker();
    const c = await b.connectTcp();
    await c.sendWithReceipt('SUBSCRIBE', { destination: `/topic/${uniqueName('x')}`, id: 'ok' });
    c.sendRaw('SEND\nreceipt:late-bad\n\nno destination\0');
    const err = await c.expectFrame('ERROR');
    expect(err.headers['receipt-id']).toBe('late-bad');
    assertReadableError(err);
    await c.expectClosed();
  });

  it('ignores frames the offender sends after its ERROR (no delivery)', async () => {
    const b = await startBroker();
    const { dest, bystander } = await withBystander(b, () => b.connectTcp({}, 'bystander'));
    const bad = await b.connectTcp({}, 'offender');
    bad.sendRaw(`FOO\n\n\0SEND\ndestination:${dest}\n\nBAD\0`);
    await bad.expectFrame('ERROR');
    await bad.expectClosed();
    await bystander.expectNoMessage();
  });
});

describe.each(WS_TRANSPORTS)('malformed frames over WebSocket (wsTransport=%s)', (wsTransport) => {
  it.each(cases.filter((c) => !c.name.includes('no content-length')))('$name', async (c) => {
    const b = await startBroker({ wsTransport, limits: LIMITS });
    const { dest, bystander, publisher } = await withBystander(b, () =>
      b.connectWs({}, 'ws-bystander'),
    );
    const bad = await b.ws({ label: 'ws-offender' });
    await bad.connect({ 'accept-version': c.version });
    bad.sendRaw(c.bytes(dest));
    const err = await bad.waitForCommand('ERROR');
    assertReadableError(err);
    if (c.receipt) expect(err.headers['receipt-id']).toBe(c.receipt);
    await bad.expectClosed();
    await publisher.publish(dest, 'after');
    expect((await bystander.message()).bodyText).toBe('after');
    await bystander.expectNoFrame((f) => f.bodyText === 'BAD');
  });
});
