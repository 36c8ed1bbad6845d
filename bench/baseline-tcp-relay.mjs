#!/usr/bin/env node
/**
 * Baseline for the queue scenario: a bare node:net round-robin relay. Frames
 * are split by their NUL; each SEND goes, unchanged, to the next subscriber in
 * turn (one write per subscriber per inbound chunk); ACKs are read and
 * dropped. No queue, no credit, no ack bookkeeping: the floor of moving the
 * same frames and acks through one Node process.
 */
import { createServer } from 'node:net';
import { CONNECTED_FRAME, frameKind, receiptFor } from './lib/mini-stomp.mjs';
import { announce, serveIpc } from './lib/server-child.mjs';

const consumers = [];
let cursor = 0;
/** Per-consumer slices gathered while one inbound chunk is processed. */
const pending = new Map();

function route(frame) {
  if (consumers.length === 0) return; // nobody listening: dropped (the generator subscribes first)
  const target = consumers[cursor++ % consumers.length];
  let list = pending.get(target);
  if (list === undefined) {
    list = [];
    pending.set(target, list);
  }
  list.push(frame);
}

function flush() {
  for (const [socket, list] of pending)
    socket.write(list.length === 1 ? list[0] : Buffer.concat(list));
  pending.clear();
}

const server = createServer({ noDelay: true }, (socket) => {
  socket.setNoDelay(true);
  let carry = null;
  socket.on('data', (chunk) => {
    const buf = carry === null ? chunk : Buffer.concat([carry, chunk]);
    carry = null;
    let start = 0;
    for (;;) {
      const nul = buf.indexOf(0, start);
      if (nul === -1) break;
      const frame = buf.subarray(start, nul + 1);
      switch (frameKind(frame)) {
        case 'send':
          route(frame);
          break;
        case 'connect':
          socket.write(CONNECTED_FRAME);
          break;
        case 'subscribe': {
          consumers.push(socket);
          const receipt = receiptFor(frame);
          if (receipt) socket.write(receipt);
          break;
        }
        case 'disconnect':
          socket.end();
          break;
        // ACK and the rest: read, dropped.
      }
      start = nul + 1;
    }
    if (start < buf.length) carry = Buffer.from(buf.subarray(start));
    flush();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    const i = consumers.indexOf(socket);
    if (i >= 0) consumers.splice(i, 1);
  });
});

server.listen(0, '127.0.0.1', () => {
  serveIpc({ close: async () => server.close() });
  announce({ tcp: { host: '127.0.0.1', port: server.address().port }, wsTransport: 'tcp-relay' });
});
