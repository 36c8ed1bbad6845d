#!/usr/bin/env node
/**
 * Baseline: a bare uWebSockets.js relay. Every WebSocket that SUBSCRIBEs joins
 * one uWS topic; every SEND is app.publish()ed to it unchanged. No routing,
 * no parsing beyond the first two bytes, no per-message allocation: the cost
 * floor of moving the same bytes through uWS. Loads the native binary the way
 * server/src/transport/uws-loader.ts does (never the package's JS fallback).
 */
import { createRequire } from 'node:module';
import { CONNECTED_FRAME, frameKind, receiptFor } from './lib/mini-stomp.mjs';
import { announce, announceError, serveIpc } from './lib/server-child.mjs';

const requireFromServer = createRequire(new URL('../server/package.json', import.meta.url));
const binaryId = `uWebSockets.js/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;

let uws;
try {
  uws = requireFromServer(binaryId);
} catch (err) {
  announceError(
    new Error(`cannot load native uWebSockets.js (${binaryId}): ${err.message.split('\n')[0]}`),
  );
  process.exit(2);
}

const TOPIC = 'bench';
const app = uws.App();
app.ws('/*', {
  compression: uws.DISABLED,
  maxPayloadLength: 16 * 1024 * 1024,
  maxBackpressure: 256 * 1024 * 1024, // never skip a slow subscriber (the broker does the same)
  closeOnBackpressureLimit: 0,
  idleTimeout: 0,
  sendPingsAutomatically: false,
  upgrade: (res, req, context) => {
    res.upgrade(
      {},
      req.getHeader('sec-websocket-key'),
      req.getHeader('sec-websocket-protocol').includes('v12.stomp') ? 'v12.stomp' : '',
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  },
  message: (ws, message, isBinary) => {
    const bytes = new Uint8Array(message);
    switch (frameKind(bytes)) {
      case 'send':
        app.publish(TOPIC, message, isBinary);
        break;
      case 'connect':
        ws.send(CONNECTED_FRAME, false);
        break;
      case 'subscribe': {
        ws.subscribe(TOPIC);
        const receipt = receiptFor(bytes);
        if (receipt) ws.send(receipt, false);
        break;
      }
      case 'disconnect':
        ws.end(1000);
        break;
    }
  },
});

app.listen('127.0.0.1', 0, (listenSocket) => {
  if (!listenSocket) {
    announceError(new Error('uWS relay could not listen'));
    process.exit(2);
  }
  serveIpc({ close: async () => uws.us_listen_socket_close(listenSocket) });
  announce({
    ws: { host: '127.0.0.1', port: uws.us_socket_local_port(listenSocket) },
    wsTransport: 'uws-relay',
  });
});
