#!/usr/bin/env node
/**
 * Baseline: the same relay as baseline-uws-relay.mjs, on the `ws` package
 * (the broker's other WebSocket engine): every SEND is ws.send() to every
 * subscriber, the package's own broadcast recipe.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { CONNECTED_FRAME, frameKind, receiptFor } from './lib/mini-stomp.mjs';
import { announce, announceError, serveIpc } from './lib/server-child.mjs';

const requireFromServer = createRequire(new URL('../server/package.json', import.meta.url));
let WebSocketServer;
try {
  ({ WebSocketServer } = requireFromServer('ws'));
} catch (err) {
  announceError(new Error(`cannot load ws: ${err.message}`));
  process.exit(2);
}

const subscribers = new Set();
const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({
  server,
  perMessageDeflate: false,
  maxPayload: 16 * 1024 * 1024,
  handleProtocols: (protocols) => (protocols.has('v12.stomp') ? 'v12.stomp' : false),
});

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    switch (frameKind(data)) {
      case 'send':
        for (const sub of subscribers) sub.send(data, { binary: isBinary });
        break;
      case 'connect':
        ws.send(CONNECTED_FRAME, { binary: false });
        break;
      case 'subscribe': {
        subscribers.add(ws);
        const receipt = receiptFor(data);
        if (receipt) ws.send(receipt, { binary: false });
        break;
      }
      case 'disconnect':
        ws.close(1000);
        break;
    }
  });
  ws.on('close', () => subscribers.delete(ws));
  ws.on('error', () => {});
});

server.listen(0, '127.0.0.1', () => {
  serveIpc({ close: async () => server.close() });
  announce({ ws: { host: '127.0.0.1', port: server.address().port }, wsTransport: 'ws-relay' });
});
