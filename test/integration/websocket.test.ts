import { describe, expect, it, vi } from 'vitest';
import { startBroker, WS_TRANSPORTS } from '../helpers/broker.js';
import { encodeFrame } from '../helpers/frames.js';
import { uniqueName } from '../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

describe.each(WS_TRANSPORTS)('WebSocket transport (wsTransport=%s)', (wsTransport) => {
  it('reassembles a frame split across several WebSocket messages', async () => {
    const b = await startBroker({ wsTransport });
    const dest = `/topic/${uniqueName('split')}`;
    const c = await b.connectWs();
    await c.subscribe(dest, 's');
    const bytes = encodeFrame('SEND', { destination: dest, receipt: 'split-r' }, 'hello in pieces');
    const cuts = [3, 10, bytes.length - 5, bytes.length - 1];
    let prev = 0;
    for (const cut of cuts) {
      c.sendRaw(bytes.subarray(prev, cut), { binary: true });
      prev = cut;
    }
    c.sendRaw(bytes.subarray(prev), { binary: true });
    await c.expectReceipt('split-r');
    expect((await c.message()).bodyText).toBe('hello in pieces');
  });

  it('reassembles a CONNECT frame split byte-by-byte across WebSocket messages', async () => {
    const b = await startBroker({ wsTransport });
    const c = await b.ws();
    const bytes = encodeFrame('CONNECT', { 'accept-version': '1.2', host: 'localhost' });
    for (const byte of bytes) c.sendRaw(Buffer.from([byte]), { binary: true });
    const connected = await c.expectFrame('CONNECTED');
    expect(connected.headers.version).toBe('1.2');
  });

  it('processes several frames sent in one WebSocket message, in order', async () => {
    const b = await startBroker({ wsTransport });
    const dest = `/queue/${uniqueName('multi')}`;
    const c = await b.connectWs();
    const batch = Buffer.concat([
      encodeFrame('SUBSCRIBE', { destination: dest, id: 'm', ack: 'auto' }),
      encodeFrame('SEND', { destination: dest }, 'first'),
      Buffer.from('\n'),
      encodeFrame('SEND', { destination: dest }, 'second'),
      encodeFrame('SEND', { destination: dest, receipt: 'batch-r' }, 'third'),
    ]);
    c.sendRaw(batch);
    await c.expectReceipt('batch-r');
    const got = await c.messages(3);
    expect(got.map((m) => m.bodyText)).toEqual(['first', 'second', 'third']);
  });

  it('accepts both text and binary WebSocket messages', async () => {
    const b = await startBroker({ wsTransport });
    const dest = `/topic/${uniqueName('kinds')}`;
    const c = await b.ws();
    c.sendRaw(encodeFrame('CONNECT', { 'accept-version': '1.2', host: 'localhost' }), {
      binary: true,
    });
    await c.expectFrame('CONNECTED');
    c.sendRaw(
      encodeFrame('SUBSCRIBE', { destination: dest, id: 's', receipt: 'sub-r' }).toString('utf8'),
      {
        binary: false,
      },
    );
    await c.expectReceipt('sub-r');
    c.sendRaw(encodeFrame('SEND', { destination: dest }, 'as-text'), { binary: false });
    c.sendRaw(encodeFrame('SEND', { destination: dest }, 'as-binary'), { binary: true });
    const got = await c.messages(2);
    expect(got.map((m) => m.bodyText)).toEqual(['as-text', 'as-binary']);
  });

  it('carries a body with NUL bytes over WebSocket using content-length', async () => {
    const b = await startBroker({ wsTransport });
    const dest = `/queue/${uniqueName('wsnul')}`;
    const c = await b.connectWs();
    await c.subscribe(dest, 's');
    const body = Buffer.from('a\0b\0\0c', 'utf8');
    c.sendRaw(encodeFrame('SEND', { destination: dest }, body), { binary: true });
    const m = await c.message();
    expect(m.body.equals(body)).toBe(true);
    expect(m.headers['content-length']).toBe(String(body.length));
  });

  it('delivers a non-UTF-8 binary body intact to a WebSocket subscriber', async () => {
    const b = await startBroker({ wsTransport });
    const dest = `/queue/${uniqueName('wsbin')}`;
    const c = await b.connectWs();
    await c.subscribe(dest, 's');
    const tcp = await b.connectTcp({}, 'tcp-pub');
    const body = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x41]);
    await tcp.publish(dest, body, { 'content-type': 'application/octet-stream' });
    const m = await c.message();
    expect(m.body.equals(body)).toBe(true);
    expect(c.closeCode).toBeUndefined();
  });

  it('round-trips messages with @stomp/stompjs on a topic and a queue', async () => {
    const b = await startBroker({ wsTransport });
    const topic = `/topic/${uniqueName('js')}`;
    const queue = `/queue/${uniqueName('js')}`;
    const js = await b.stompjs();
    expect(js.connectedFrame.headers.version).toBe('1.2');
    expect(js.connectedFrame.headers.server).toMatch(/^stompede\//);
    const t = await js.subscribeConfirmed(topic);
    const q = await js.subscribeConfirmed(queue, { ack: 'client-individual' });
    await js.publishConfirmed(topic, 'to-topic', { 'x-custom': '1' });
    await js.publishConfirmed(queue, 'to-queue', { 'content-type': 'text/plain' });
    const [tm] = await t.waitFor(1);
    const [qm] = await q.waitFor(1);
    expect(tm!.body).toBe('to-topic');
    expect(tm!.headers['x-custom']).toBe('1');
    expect(qm!.body).toBe('to-queue');
    expect(qm!.headers['content-type']).toBe('text/plain');
    expect(qm!.headers.ack).toBeTruthy();
    qm!.ack();
    expect(js.stompErrors).toEqual([]);
  });

  it('supports @stomp/stompjs transactions (commit delivers, abort discards)', async () => {
    const b = await startBroker({ wsTransport });
    const dest = `/queue/${uniqueName('jstx')}`;
    const js = await b.stompjs();
    const sub = await js.subscribeConfirmed(dest);
    const t1 = js.client.begin('js-tx-1');
    js.client.publish({ destination: dest, body: 'committed', headers: { transaction: t1.id } });
    t1.commit();
    const t2 = js.client.begin('js-tx-2');
    js.client.publish({ destination: dest, body: 'aborted', headers: { transaction: t2.id } });
    t2.abort();
    await js.publishConfirmed(dest, 'plain');
    const got = await sub.waitFor(2);
    expect(got.map((m) => m.body)).toEqual(['committed', 'plain']);
    await new Promise((r) => setTimeout(r, 250));
    expect(sub.messages.map((m) => m.body)).toEqual(['committed', 'plain']);
  });

  it('works with @stomp/stompjs sending binary WebSocket frames', async () => {
    const b = await startBroker({ wsTransport });
    const dest = `/topic/${uniqueName('jsbin')}`;
    const js = await b.stompjs({ forceBinaryWSFrames: true });
    const sub = await js.subscribeConfirmed(dest);
    await js.publishConfirmed(dest, 'binary-frames ✓');
    expect((await sub.waitFor(1))[0]!.body).toBe('binary-frames ✓');
  });

  it('works with @stomp/stompjs splitting large frames into 1 KiB WebSocket chunks', async () => {
    const b = await startBroker({ wsTransport });
    const dest = `/queue/${uniqueName('jssplit')}`;
    const js = await b.stompjs({ splitLargeFrames: true, maxWebSocketChunkSize: 1024 });
    const sub = await js.subscribeConfirmed(dest);
    const body = 'x'.repeat(10_000);
    await js.publishConfirmed(dest, body);
    expect((await sub.waitFor(1))[0]!.body).toBe(body);
  });

  it('keeps a @stomp/stompjs client with heart-beats enabled connected', async () => {
    const b = await startBroker({
      wsTransport,
      heartbeat: { sendMs: 100, receiveMs: 100, graceMs: 0, toleranceFactor: 2 },
    });
    const js = await b.stompjs({ heartbeatIncoming: 100, heartbeatOutgoing: 100 });
    await new Promise((r) => setTimeout(r, 1500));
    expect(js.isClosed()).toBe(false);
    const dest = `/topic/${uniqueName('jshb')}`;
    const sub = await js.subscribeConfirmed(dest);
    await js.publishConfirmed(dest, 'alive');
    expect((await sub.waitFor(1))[0]!.body).toBe('alive');
  });

  it('frees a WebSocket consumer when its socket drops: all its messages reach the remaining consumer', async () => {
    const b = await startBroker({ wsTransport });
    const dest = `/queue/${uniqueName('wsdrop')}`;
    const gone = await b.connectWs({}, 'gone');
    const stay = await b.connectWs({}, 'stay');
    // client-individual: anything dispatched to `gone` before the broker notices the drop
    // stays unacked and must be redelivered to `stay`.
    await gone.subscribe(dest, 'g', { ack: 'client-individual' });
    await stay.subscribe(dest, 's');
    gone.destroy();
    await gone.closed;
    const pub = await b.connectTcp({}, 'pub');
    const sent = ['p0', 'p1', 'p2', 'p3', 'p4'];
    for (const body of sent) await pub.publish(dest, body);
    const got = await stay.messages(5);
    expect(got.map((m) => m.bodyText).sort()).toEqual(sent);
  });
});
