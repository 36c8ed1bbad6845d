import { describe, expect, it, vi } from 'vitest';
import { startBroker, WS_TRANSPORTS } from '../helpers/broker.js';
import { uniqueName } from '../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

describe('CONNECT over TCP', () => {
  it('answers CONNECT with CONNECTED carrying version 1.2, heart-beat, session and server headers', async () => {
    const b = await startBroker();
    const c = await b.tcp();
    const connected = await c.connect({ 'accept-version': '1.0,1.1,1.2' });
    expect(connected.headers.version).toBe('1.2');
    expect(connected.headers['heart-beat']).toMatch(/^\d+,\d+$/);
    expect(connected.headers.session).toBeTruthy();
    expect(connected.headers.server).toMatch(/^stompede\//);
  });

  it('answers the STOMP command like CONNECT', async () => {
    const b = await startBroker();
    const c = await b.tcp();
    const connected = await c.connect({ 'accept-version': '1.2' }, 'STOMP');
    expect(connected.headers.version).toBe('1.2');
    expect(connected.headers.server).toMatch(/^stompede\//);
  });

  it.each([
    ['1.0,1.1,1.2', '1.2'],
    ['1.2,1.1,1.0', '1.2'],
    ['1.0,1.1', '1.1'],
    ['1.1', '1.1'],
    ['1.0', '1.0'],
    ['1.1,2.0', '1.1'],
    ['1.0,1.2,3.5', '1.2'],
  ])(
    'negotiates the highest common version for accept-version:%s → %s',
    async (accept, expected) => {
      const b = await startBroker();
      const c = await b.tcp();
      const connected = await c.connect({ 'accept-version': accept });
      expect(connected.headers.version).toBe(expected);
    },
  );

  it('treats a CONNECT without accept-version as STOMP 1.0', async () => {
    const b = await startBroker();
    const c = await b.tcp();
    c.sendRaw('CONNECT\nlogin:guest\npasscode:guest\n\n\0');
    const connected = await c.expectFrame('CONNECTED');
    expect(connected.headers.version).toBe('1.0');
    expect(connected.headers.session).toBeTruthy();
  });

  it('rejects a CONNECT with no common version with an ERROR listing 1.0,1.1,1.2 and closes', async () => {
    const b = await startBroker();
    const c = await b.tcp();
    c.send('CONNECT', { 'accept-version': '2.0,3.0', host: 'localhost' });
    const err = await c.expectFrame('ERROR');
    expect(err.headers.message).toBeTruthy();
    const text = `${err.headers.message} ${err.headers.version ?? ''} ${err.bodyText}`;
    expect(text).toContain('1.0,1.1,1.2');
    await c.expectClosed();
  });

  it('puts the supported versions in a version header of the no-common-version ERROR (STOMP 1.2 §Protocol Negotiation)', async () => {
    const b = await startBroker();
    const c = await b.tcp();
    c.send('CONNECT', { 'accept-version': '2.0', host: 'localhost' });
    const err = await c.expectFrame('ERROR');
    expect(err.headers.version).toBe('1.0,1.1,1.2');
  });

  it('accepts CONNECT frames with CRLF line endings and leading EOLs', async () => {
    const b = await startBroker();
    const c = await b.tcp();
    c.sendRaw('\r\n\nCONNECT\r\naccept-version:1.2\r\nhost:localhost\r\n\r\n\0');
    const connected = await c.expectFrame('CONNECTED');
    expect(connected.headers.version).toBe('1.2');
  });

  it('gives each connection a distinct session id', async () => {
    const b = await startBroker();
    const a = await b.tcp('a');
    const c = await b.tcp('c');
    const ca = await a.connect();
    const cc = await c.connect();
    expect(ca.headers.session).toBeTruthy();
    expect(ca.headers.session).not.toBe(cc.headers.session);
  });

  it('answers a frame sent before CONNECT with ERROR and closes the connection', async () => {
    const b = await startBroker();
    const c = await b.tcp();
    c.send('SUBSCRIBE', { destination: '/topic/x', id: '0' }, '', { escape: false });
    const err = await c.expectFrame('ERROR');
    expect(err.headers.message).toBeTruthy();
    await c.expectClosed();
  });

  it('answers a SEND before CONNECT with ERROR, closes, and does not deliver the message', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('preconnect')}`;
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(dest, 's1');
    const c = await b.tcp('bad');
    c.sendRaw(`SEND\ndestination:${dest}\n\nsneaky\0`);
    await c.expectFrame('ERROR');
    await c.expectClosed();
    await sub.expectNoMessage();
  });

  it('accepts a second CONNECT-less connection attempt after a failed one (broker keeps serving)', async () => {
    const b = await startBroker();
    const bad = await b.tcp('bad');
    bad.sendRaw('FOO\n\n\0');
    await bad.expectFrame('ERROR');
    await bad.expectClosed();
    const good = await b.tcp('good');
    const connected = await good.connect();
    expect(connected.headers.version).toBe('1.2');
  });

  it('closes a TCP client that never sends CONNECT after limits.connectTimeoutMs', async () => {
    const b = await startBroker({ limits: { connectTimeoutMs: 300 } });
    const c = await b.tcp();
    const start = Date.now();
    await c.expectClosed(5000);
    const elapsed = Date.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(200);
  });

  it('does not close a client that CONNECTs within limits.connectTimeoutMs', async () => {
    const b = await startBroker({ limits: { connectTimeoutMs: 300 } });
    const c = await b.tcp();
    await c.connect();
    await new Promise((r) => setTimeout(r, 700));
    expect(c.isClosed).toBe(false);
    await c.sendWithReceipt('SUBSCRIBE', { destination: '/topic/still-alive', id: '1' });
  });
});

describe.each(WS_TRANSPORTS)('CONNECT over WebSocket (wsTransport=%s)', (wsTransport) => {
  it('reports the requested wsTransport from listen()', async () => {
    const b = await startBroker({ wsTransport });
    expect(b.addr.wsTransport).toBe(wsTransport);
    expect(b.addr.ws.port).toBeGreaterThan(0);
    expect(b.addr.tcp.port).toBeGreaterThan(0);
    expect(b.addr.ws.port).not.toBe(b.addr.tcp.port);
  });

  it.each(['/stomp', '/ws'])('completes the STOMP handshake on %s', async (path) => {
    const b = await startBroker({ wsTransport });
    const c = await b.ws({ path });
    expect(['v12.stomp', 'v11.stomp', 'v10.stomp']).toContain(c.ws.protocol);
    const connected = await c.connect();
    expect(connected.headers.version).toBe('1.2');
    expect(connected.headers.server).toMatch(/^stompede\//);
    expect(connected.headers.session).toBeTruthy();
  });

  it('selects the v12.stomp subprotocol when it is offered', async () => {
    const b = await startBroker({ wsTransport });
    const c = await b.ws({ protocols: ['v12.stomp'] });
    expect(c.ws.protocol).toBe('v12.stomp');
  });

  it('negotiates STOMP 1.1 over WebSocket when the client only accepts 1.0,1.1', async () => {
    const b = await startBroker({ wsTransport });
    const c = await b.ws();
    const connected = await c.connect({ 'accept-version': '1.0,1.1' });
    expect(connected.headers.version).toBe('1.1');
  });

  it('rejects a no-common-version CONNECT over WebSocket with ERROR and closes', async () => {
    const b = await startBroker({ wsTransport });
    const c = await b.ws();
    c.send('CONNECT', { 'accept-version': '9.9', host: 'localhost' });
    const err = await c.expectFrame('ERROR');
    expect(`${err.headers.message} ${err.headers.version ?? ''} ${err.bodyText}`).toContain(
      '1.0,1.1,1.2',
    );
    await c.expectClosed();
  });

  it('closes a WebSocket client that never sends CONNECT after limits.connectTimeoutMs', async () => {
    const b = await startBroker({ wsTransport, limits: { connectTimeoutMs: 300 } });
    const c = await b.ws();
    const start = Date.now();
    await c.expectClosed(5000);
    expect(Date.now() - start).toBeGreaterThanOrEqual(200);
  });

  it('answers a frame sent before CONNECT over WebSocket with ERROR and closes', async () => {
    const b = await startBroker({ wsTransport });
    const c = await b.ws();
    c.sendRaw('SEND\ndestination:/topic/x\n\nhi\0');
    const err = await c.expectFrame('ERROR');
    expect(err.headers.message).toBeTruthy();
    await c.expectClosed();
  });
});
