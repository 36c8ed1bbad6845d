import { describe, expect, it, vi } from 'vitest';
import { startBroker, WS_TRANSPORTS } from '../helpers/broker.js';
import { encodeFrame } from '../helpers/frames.js';
import { uniqueName } from '../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

describe.each(WS_TRANSPORTS)('TCP ↔ WebSocket (wsTransport=%s)', (wsTransport) => {
  it('exchanges messages on the same topic in both directions between TCP and @stomp/stompjs', async () => {
    const b = await startBroker({ wsTransport });
    const dest = `/topic/${uniqueName('xt')}`;
    const tcp = await b.connectTcp({}, 'tcp');
    await tcp.subscribe(dest, 'tcp-sub');
    const js = await b.stompjs();
    const jsSub = await js.subscribeConfirmed(dest);

    await tcp.publish(dest, 'from-tcp', { 'x-origin': 'tcp' });
    await js.publishConfirmed(dest, 'from-ws', { 'x-origin': 'ws' });

    const jsGot = await jsSub.waitFor(2);
    expect(jsGot.map((m) => m.body)).toEqual(['from-tcp', 'from-ws']);
    expect(jsGot[0]!.headers['x-origin']).toBe('tcp');
    const tcpGot = await tcp.messages(2);
    expect(tcpGot.map((m) => m.bodyText)).toEqual(['from-tcp', 'from-ws']);
    expect(tcpGot[1]!.headers['x-origin']).toBe('ws');
    expect(tcpGot[1]!.headers.subscription).toBe('tcp-sub');
  });

  it('moves queue messages from TCP to @stomp/stompjs and back', async () => {
    const b = await startBroker({ wsTransport });
    const toWs = `/queue/${uniqueName('to-ws')}`;
    const toTcp = `/queue/${uniqueName('to-tcp')}`;
    const tcp = await b.connectTcp({}, 'tcp');
    await tcp.subscribe(toTcp, 'in');
    const js = await b.stompjs();
    const jsSub = await js.subscribeConfirmed(toWs);
    await tcp.publish(toWs, 'ping', { 'reply-to': toTcp, 'correlation-id': 'c-1' });
    const [req] = await jsSub.waitFor(1);
    expect(req!.body).toBe('ping');
    expect(req!.headers['reply-to']).toBe(toTcp);
    await js.publishConfirmed(req!.headers['reply-to']!, 'pong', {
      'correlation-id': req!.headers['correlation-id']!,
    });
    const reply = await tcp.message();
    expect(reply.bodyText).toBe('pong');
    expect(reply.headers['correlation-id']).toBe('c-1');
  });

  it('shares a queue between a TCP consumer and a WebSocket consumer (each message once)', async () => {
    const b = await startBroker({ wsTransport });
    const dest = `/queue/${uniqueName('shared')}`;
    const tcp = await b.connectTcp({}, 'tcp');
    await tcp.subscribe(dest, 't');
    const js = await b.stompjs();
    const jsSub = await js.subscribeConfirmed(dest);
    const pub = await b.connectTcp({}, 'pub');
    const sent = Array.from({ length: 10 }, (_, i) => `s${i}`);
    for (const body of sent) await pub.publish(dest, body);
    const tcpGot = await tcp.messages(5);
    const jsGot = await jsSub.waitFor(5);
    await tcp.expectNoMessage();
    expect(jsGot).toHaveLength(5);
    const all = [...tcpGot.map((m) => m.bodyText), ...jsGot.map((m) => m.body)];
    expect(all.sort()).toEqual([...sent].sort());
  });

  it('delivers a TCP-published body containing NUL bytes intact to a raw WebSocket subscriber', async () => {
    const b = await startBroker({ wsTransport });
    const dest = `/topic/${uniqueName('nulx')}`;
    const ws = await b.connectWs({}, 'ws');
    await ws.subscribe(dest, 'w');
    const tcp = await b.connectTcp({}, 'tcp');
    const body = Buffer.from('x\0y\0z', 'utf8');
    tcp.send('SEND', { destination: dest }, body);
    const m = await ws.message();
    expect(m.body.equals(body)).toBe(true);
    expect(m.headers['content-length']).toBe('5');
  });

  it('translates header escaping between a STOMP 1.2 WebSocket producer and a STOMP 1.0 TCP consumer', async () => {
    const b = await startBroker({ wsTransport });
    const dest = `/queue/${uniqueName('esc10')}`;
    const old = await b.connectTcp({ 'accept-version': '1.0' }, 'tcp-1.0');
    expect(old.version).toBe('1.0');
    await old.sendWithReceipt('SUBSCRIBE', { destination: dest });
    const ws = await b.connectWs({}, 'ws-1.2');
    ws.sendRaw(
      encodeFrame('SEND', { destination: dest, 'x-url': 'http://h:1/p', receipt: 'e' }, 'x'),
    );
    await ws.expectReceipt('e');
    const m = await old.message();
    // In 1.0 there is no escaping: the value is sent literally and split at the first colon.
    expect(m.headers['x-url']).toBe('http://h:1/p');
  });
});
