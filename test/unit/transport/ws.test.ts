import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { attachWs, listenWs } from '../../../server/src/transport/ws.js';
import { Recorder } from './recorder.js';
import {
  connectClient,
  httpCall,
  MAX_PAYLOAD,
  websocketTransportSuite,
} from './websocket-suite.js';

websocketTransportSuite('ws', (options, acceptor, httpHandler) =>
  listenWs(options, acceptor, httpHandler),
);

describe('attachWs', () => {
  let server: Server | undefined;

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  async function listen(s: Server): Promise<number> {
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const address = s.address();
    if (typeof address !== 'object' || !address) throw new Error('no address');
    return address.port;
  }

  it("leaves the server's own routes alone and upgrades /stomp", async () => {
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`app:${req.url}`);
    });
    const recorder = new Recorder();
    const attachment = attachWs(server, { maxPayload: MAX_PAYLOAD }, recorder);
    const port = await listen(server);

    const page = await httpCall(port, 'GET', '/stomp');
    expect(page.body).toBe('app:/stomp');
    expect((await httpCall(port, 'GET', '/index.html')).body).toBe('app:/index.html');

    const client = await connectClient(port, '/stomp', ['v11.stomp', 'v12.stomp']);
    expect(client.ws.protocol).toBe('v12.stomp');
    const recorded = await recorder.next(0);
    expect(recorded.connection.transport).toBe('ws');
    expect(recorded.connection.remoteAddress).toBe('127.0.0.1');
    client.ws.send('ping');
    await recorded.waitForBytes(4);
    recorded.connection.send(Buffer.from('pong'));
    await new Promise((r) => setTimeout(r, 20));
    expect(client.messages.map((m) => m.data.toString())).toEqual(['pong']);

    await attachment.close();
    // Detached: the live connection stays; new upgrades are no longer ours.
    expect(recorded.connection.send(Buffer.from('after'))).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(client.messages.map((m) => m.data.toString())).toEqual(['pong', 'after']);
    expect(server.listenerCount('upgrade')).toBe(0);
    recorded.connection.end();
    expect(await client.closed).toBe(1000);
    await recorded.waitClosed();
  });

  it('leaves other upgrade paths to other listeners', async () => {
    server = createServer((_req, res) => res.end('app'));
    const other = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      if (req.url === '/other') {
        other.handleUpgrade(req, socket, head, (ws) => ws.send('from other'));
      }
    });
    const recorder = new Recorder();
    const attachment = attachWs(server, { maxPayload: MAX_PAYLOAD, paths: ['/ws'] }, recorder);
    const port = await listen(server);

    const mine = await connectClient(port, '/ws');
    const theirs = await connectClient(port, '/other');
    await new Promise((r) => setTimeout(r, 20));
    expect(theirs.messages.map((m) => m.data.toString())).toEqual(['from other']);
    expect(recorder.connections).toHaveLength(1);
    mine.ws.terminate();
    theirs.ws.terminate();
    await attachment.close();
    other.close();
  });

  it('refuses other upgrade paths with 404 when nobody else listens', async () => {
    server = createServer((_req, res) => res.end('app'));
    const recorder = new Recorder();
    attachWs(server, { maxPayload: MAX_PAYLOAD }, recorder);
    const port = await listen(server);
    await expect(connectClient(port, '/nobody')).rejects.toThrow(/404/);
  });

  it('removes its upgrade listener on close()', async () => {
    server = createServer((_req, res) => res.end('app'));
    const attachment = attachWs(server, { maxPayload: MAX_PAYLOAD }, new Recorder());
    expect(server.listenerCount('upgrade')).toBe(1);
    await attachment.close();
    expect(server.listenerCount('upgrade')).toBe(0);
  });
});
