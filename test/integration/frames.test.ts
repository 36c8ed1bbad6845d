import { describe, expect, it, vi } from 'vitest';
import { startBroker } from '../helpers/broker.js';
import { uniqueName } from '../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

describe('wire format conformance (TCP)', () => {
  it('uses the first occurrence of a repeated header (destination)', async () => {
    const b = await startBroker();
    const first = `/queue/${uniqueName('first')}`;
    const second = `/queue/${uniqueName('second')}`;
    const c = await b.connectTcp();
    await c.subscribe(first, 'f');
    await c.subscribe(second, 's');
    c.sendRaw(`SEND\ndestination:${first}\ndestination:${second}\nreceipt:dup\n\nwhich\0`);
    await c.expectReceipt('dup');
    const m = await c.message();
    expect(m.headers.subscription).toBe('f');
    expect(m.headers.destination).toBe(first);
    await c.expectNoMessage();
  });

  it('passes the first value of a repeated application header through', async () => {
    const b = await startBroker();
    const dest = `/topic/${uniqueName('rep')}`;
    const c = await b.connectTcp();
    await c.subscribe(dest, 's');
    c.sendRaw(`SEND\ndestination:${dest}\nx-rep:1\nx-rep:2\n\nr\0`);
    const m = await c.message();
    expect(m.headers['x-rep']).toBe('1');
  });

  it('accepts client frames with CRLF line endings and does not leak CR into header values', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('crlf')}`;
    const c = await b.connectTcp();
    await c.subscribe(dest, 's');
    c.sendRaw(`SEND\r\ndestination:${dest}\r\nx-crlf:value\r\nreceipt:crlf-r\r\n\r\ncrlf body\0`);
    await c.expectReceipt('crlf-r');
    const m = await c.message();
    expect(m.headers.destination).toBe(dest);
    expect(m.headers['x-crlf']).toBe('value');
    expect(m.bodyText).toBe('crlf body');
  });

  it('ignores client EOLs (LF and CRLF) between frames', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('eols')}`;
    const c = await b.connectTcp();
    c.sendRaw(
      `\n\r\n\nSUBSCRIBE\nid:s\ndestination:${dest}\n\n\0\n\n\r\nSEND\ndestination:${dest}\n\nafter-eols\0\n`,
    );
    expect((await c.message()).bodyText).toBe('after-eols');
    expect(c.history.filter((f) => f.command === 'ERROR')).toEqual([]);
  });

  it('preserves leading and trailing spaces in header values (STOMP 1.2 does not trim)', async () => {
    const b = await startBroker();
    const dest = `/topic/${uniqueName('ws')}`;
    const c = await b.connectTcp();
    await c.subscribe(dest, 's');
    c.sendRaw(`SEND\ndestination:${dest}\nx-pad:  a b  \n\np\0`);
    expect((await c.message()).headers['x-pad']).toBe('  a b  ');
  });

  it('always sets a correct content-length on MESSAGE, even when the SEND had none', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('cl')}`;
    const c = await b.connectTcp();
    await c.subscribe(dest, 's');
    c.sendRaw(`SEND\ndestination:${dest}\n\nnaïve ✓\0`);
    const m = await c.message();
    expect(m.headers['content-length']).toBe(String(Buffer.byteLength('naïve ✓')));
    expect(m.bodyText).toBe('naïve ✓');
  });

  it('escapes a literal backslash sent by a STOMP 1.0 producer for a STOMP 1.2 consumer', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('bs')}`;
    const consumer = await b.connectTcp({ 'accept-version': '1.2' }, 'c12');
    await consumer.subscribe(dest, 's');
    const producer = await b.connectTcp({ 'accept-version': '1.0' }, 'p10');
    expect(producer.version).toBe('1.0');
    producer.sendRaw(`SEND\ndestination:${dest}\nx-path:C:\\dir\\tmp\nreceipt:bs\n\nbs\0`);
    await producer.expectReceipt('bs');
    // The reader rejects undefined escapes such as "\d": the broker must send C\c\\dir\\tmp.
    const m = await consumer.message();
    expect(m.headers['x-path']).toBe('C:\\dir\\tmp');
  });

  it('escapes colon, newline and backslash for a STOMP 1.1 consumer', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('esc11')}`;
    const consumer = await b.connectTcp({ 'accept-version': '1.1' }, 'c11');
    expect(consumer.version).toBe('1.1');
    await consumer.subscribe(dest, 's');
    const producer = await b.connectTcp({}, 'p12');
    await producer.publish(dest, 'e', { 'x-e': 'k:v\nline2\\end' });
    expect((await consumer.message()).headers['x-e']).toBe('k:v\nline2\\end');
  });

  it('accepts a SEND whose body contains NUL bytes from a STOMP 1.0 client using content-length', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('nul10')}`;
    const consumer = await b.connectTcp({}, 'c');
    await consumer.subscribe(dest, 's');
    const producer = await b.connectTcp({ 'accept-version': '1.0' }, 'p10');
    const body = Buffer.from([0, 1, 2, 0, 3]);
    producer.send('SEND', { destination: dest }, body);
    const m = await consumer.message();
    expect(m.body.equals(body)).toBe(true);
  });

  it('handles a frame arriving one byte per TCP write', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('dribble')}`;
    const c = await b.connectTcp();
    await c.subscribe(dest, 's');
    const bytes = Buffer.from(`SEND\ndestination:${dest}\ncontent-length:5\n\nab\0cd\0`);
    for (const byte of bytes) {
      c.sendRaw(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    expect((await c.message()).body.equals(Buffer.from('ab\0cd'))).toBe(true);
  });

  it('handles many frames arriving in one TCP write', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('burst')}`;
    const c = await b.connectTcp();
    await c.subscribe(dest, 's');
    let burst = '';
    for (let i = 0; i < 200; i++) burst += `SEND\ndestination:${dest}\n\nb${i}\0`;
    c.sendRaw(burst);
    const got = await c.messages(200);
    expect(got.map((m) => m.bodyText)).toEqual(Array.from({ length: 200 }, (_, i) => `b${i}`));
  });
});
