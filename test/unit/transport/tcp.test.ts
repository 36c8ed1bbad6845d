import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Listener } from '../../../server/src/transport/connection.js';
import { adaptSocket, listenTcp } from '../../../server/src/transport/tcp.js';
import { type RecordedConnection, Recorder, waitFor } from './recorder.js';

const HIGH_WATER_MARK = 256 * 1024;

interface TestClient {
  socket: Socket;
  received(): Buffer;
  ended: Promise<void>;
  closed: Promise<boolean>;
}

function connectClient(port: number): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    const client: TestClient = {
      socket,
      received: () => Buffer.concat(chunks),
      ended: new Promise((r) => socket.once('end', () => r())),
      closed: new Promise((r) => socket.once('close', (hadError) => r(hadError))),
    };
    socket.on('error', () => {});
    socket.once('connect', () => resolve(client));
    socket.once('error', reject);
  });
}

describe('TCP transport', () => {
  let recorder: Recorder;
  let listener: Listener;
  let errors: unknown[];
  let clients: Socket[];

  async function open(): Promise<{ client: TestClient; recorded: RecordedConnection }> {
    const index = recorder.connections.length;
    const client = await connectClient(listener.port);
    clients.push(client.socket);
    return { client, recorded: await recorder.next(index) };
  }

  beforeEach(async () => {
    recorder = new Recorder();
    errors = [];
    clients = [];
    listener = await listenTcp(
      {
        host: '127.0.0.1',
        port: 0,
        highWaterMark: HIGH_WATER_MARK,
        onError: (e) => errors.push(e),
      },
      recorder,
    );
  });

  afterEach(async () => {
    for (const s of clients) s.destroy();
    for (const r of recorder.connections) r.connection.destroy();
    await listener.close();
  });

  it('binds an ephemeral port and describes the connection', async () => {
    expect(listener.port).toBeGreaterThan(0);
    const { client, recorded } = await open();
    expect(recorded.connection.transport).toBe('tcp');
    expect(recorded.connection.subprotocol).toBe('');
    expect(recorded.connection.remoteAddress).toBe('127.0.0.1');
    expect(recorded.connection.remotePort).toBe(client.socket.localPort);
    expect(recorded.connection.bufferedAmount).toBe(0);
  });

  it('carries bytes both ways', async () => {
    const { client, recorded } = await open();
    const frame = Buffer.from('CONNECT\naccept-version:1.2\nhost:/\n\n\0');
    client.socket.write(frame);
    await recorded.waitForBytes(frame.length);
    expect(recorded.received).toEqual(frame);
    const binary = Buffer.from([0, 0xff, 0xfe, 10, 0]);
    expect(recorded.connection.send(binary)).toBe(true);
    await waitFor(() => client.received().length === binary.length, 'reply');
    expect(client.received()).toEqual(binary);
  });

  it('holds the frames of one turn and writes them together, in order, byte for byte', async () => {
    const { client, recorded } = await open();
    const frames = Array.from({ length: 2000 }, (_, i) =>
      Buffer.from(`MESSAGE\nn:${i}\n\n${'y'.repeat(i % 300)}\0`),
    );
    let held = 0;
    for (const frame of frames) {
      expect(recorded.connection.send(frame)).toBe(true);
      held += frame.length;
      // Held (corked) bytes count as buffered until the turn ends (past 64 KiB they go at once).
      if (held < 64 * 1024) expect(recorded.connection.bufferedAmount).toBe(held);
    }
    const all = Buffer.concat(frames);
    await waitFor(() => client.received().length === all.length, 'every frame');
    expect(client.received().equals(all)).toBe(true);
    expect(recorded.connection.bufferedAmount).toBe(0);
  });

  it('end() flushes queued data, then closes; onClose once', async () => {
    const { client, recorded } = await open();
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const total = 8 * 1024 * 1024;
    for (let sent = 0; sent < total; sent += chunk.length) recorded.connection.send(chunk);
    recorded.call(() => recorded.connection.end());
    await client.ended;
    expect(client.received().length).toBe(total);
    client.socket.end();
    await recorded.waitClosed();
    expect(recorded.closedInsideCall).toBe(false);
    expect(recorded.connection.send(chunk)).toBe(false);
    recorded.connection.end();
    recorded.connection.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect(recorded.closes).toBe(1);
  });

  it('stops delivering data after end()', async () => {
    const { client, recorded } = await open();
    recorded.connection.end();
    client.socket.write('ignored');
    await client.ended;
    client.socket.end();
    await recorded.waitClosed();
    expect(recorded.received.length).toBe(0);
  });

  it('destroy() closes at once; onClose once and not re-entrantly', async () => {
    const { client, recorded } = await open();
    recorded.call(() => recorded.connection.destroy());
    expect(recorded.closedInsideCall).toBe(false);
    expect(recorded.connection.send(Buffer.from('late'))).toBe(false);
    await client.closed;
    await recorded.waitClosed();
    recorded.connection.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect(recorded.closes).toBe(1);
  });

  it('reports onClose once when the client closes', async () => {
    const { client, recorded } = await open();
    client.socket.end();
    await recorded.waitClosed();
    await new Promise((r) => setTimeout(r, 20));
    expect(recorded.closes).toBe(1);
  });

  it('survives a client reset (ECONNRESET) with a single onClose', async () => {
    const { client, recorded } = await open();
    // Queue data the client will never read, then reset.
    recorded.connection.send(Buffer.alloc(1024 * 1024));
    client.socket.resetAndDestroy();
    await recorded.waitClosed();
    // Writing to the reset socket must not throw either.
    expect(recorded.connection.send(Buffer.from('after reset'))).toBe(false);
    await new Promise((r) => setTimeout(r, 20));
    expect(recorded.closes).toBe(1);
    expect(errors).toHaveLength(0);
  });

  it('returns false above the high-water mark and calls onDrain once drained', async () => {
    const { client, recorded } = await open();
    client.socket.pause();
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    let sent = 0;
    for (;;) {
      sent += chunk.length;
      if (!recorded.connection.send(chunk)) break;
      if (sent > 256 << 20) throw new Error('send() never returned false');
    }
    expect(recorded.connection.bufferedAmount).toBeGreaterThan(HIGH_WATER_MARK);
    await new Promise((r) => setTimeout(r, 50));
    expect(recorded.drains).toBe(0);
    client.socket.resume();
    await waitFor(() => recorded.drains === 1, 'onDrain');
    await waitFor(() => client.received().length === sent, 'all bytes at the client');
    expect(recorded.connection.send(chunk)).toBe(true);
  });

  it('destroys only the connection whose handler throws, and reports it', async () => {
    const first = await open();
    const second = await open();
    first.recorded.onChunk = () => {
      throw new Error('handler failed on purpose');
    };
    first.client.socket.write('boom');
    await first.client.closed;
    await first.recorded.waitClosed();
    expect(errors).toHaveLength(1);
    second.client.socket.write('fine');
    await second.recorded.waitForBytes(4);
    expect(second.recorded.closes).toBe(0);
  });

  it('closes the socket and reports when accept() throws', async () => {
    recorder.throwOnAccept = true;
    const client = await connectClient(listener.port);
    clients.push(client.socket);
    await client.closed;
    expect(errors).toHaveLength(1);
  });

  it('stops accepting after close() but keeps live connections', async () => {
    const { client, recorded } = await open();
    await listener.close();
    await expect(connectClient(listener.port)).rejects.toThrow(/ECONNREFUSED/);
    recorded.connection.send(Buffer.from('still open'));
    await waitFor(() => client.received().length === 10, 'data after listener close');
  });

  it('rejects when the port is taken', async () => {
    await expect(
      listenTcp({ host: '127.0.0.1', port: listener.port }, new Recorder()),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('adaptSocket', () => {
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  it('sets TCP_NODELAY and keep-alive on the socket it adapts', async () => {
    const recorder = new Recorder();
    const seen: { noDelay: unknown[]; keepAlive: unknown[] } = { noDelay: [], keepAlive: [] };
    server = createServer((socket) => {
      const noDelay = vi.spyOn(socket, 'setNoDelay');
      const keepAlive = vi.spyOn(socket, 'setKeepAlive');
      adaptSocket(socket, recorder, { transport: 'tcp' });
      seen.noDelay = noDelay.mock.calls[0] ?? [];
      seen.keepAlive = keepAlive.mock.calls[0] ?? [];
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('no address');
    const client = await connectClient(address.port);
    const recorded = await recorder.next(0);
    expect(seen.noDelay).toEqual([true]);
    expect(seen.keepAlive[0]).toBe(true);
    client.socket.write('x');
    await recorded.waitForBytes(1);
    client.socket.destroy();
    await recorded.waitClosed();
  });

  it('reports onClose for a socket that is already destroyed', async () => {
    const recorder = new Recorder();
    server = createServer((socket) => {
      socket.destroy();
      setTimeout(() => adaptSocket(socket, recorder), 10);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('no address');
    await connectClient(address.port);
    const recorded = await recorder.next(0);
    await recorded.waitClosed();
    expect(recorded.closes).toBe(1);
  });
});
