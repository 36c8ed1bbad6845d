import { describe, expect, it } from 'vitest';
import { listenUws } from '../../../server/src/transport/uws.js';
import { loadUws, uwsLoadError } from '../../../server/src/transport/uws-loader.js';
import { Recorder, waitFor } from './recorder.js';
import {
  connectClient,
  fillUntilFull,
  MAX_PAYLOAD,
  websocketTransportSuite,
} from './websocket-suite.js';

describe('loadUws', () => {
  it('loads the native binary on this machine', () => {
    const uws = loadUws();
    expect(uws, uwsLoadError()).not.toBeNull();
    expect(typeof uws!.App).toBe('function');
    expect(uwsLoadError()).toBeUndefined();
    expect(loadUws()).toBe(uws);
  });
});

websocketTransportSuite('uws', (options, acceptor, httpHandler) =>
  listenUws(
    { maxBackpressure: 256 * 1024 * 1024, ...options, idleTimeoutSeconds: 0 },
    acceptor,
    httpHandler,
  ),
);

describe('listenUws specifics', () => {
  const notFound = () => ({ status: 404, headers: {}, body: '' });

  it('rejects when the port is taken', async () => {
    const first = await listenUws(
      { host: '127.0.0.1', port: 0, maxPayload: 1024, maxBackpressure: 1 << 20 },
      new Recorder(),
      notFound,
    );
    await expect(
      listenUws(
        { host: '127.0.0.1', port: first.port, maxPayload: 1024, maxBackpressure: 1 << 20 },
        new Recorder(),
        notFound,
      ),
    ).rejects.toThrow(/could not listen/);
    await first.close();
  });

  it('destroys the connection instead of letting uWS drop a message', async () => {
    const errors: unknown[] = [];
    const recorder = new Recorder();
    // Misconfigured on purpose: uWS's cap (64 KiB) below our high-water mark.
    const listener = await listenUws(
      {
        host: '127.0.0.1',
        port: 0,
        maxPayload: MAX_PAYLOAD,
        maxBackpressure: 64 * 1024,
        highWaterMark: 64 * 1024 * 1024,
        onError: (e) => errors.push(e),
      },
      recorder,
      notFound,
    );
    const client = await connectClient(listener.port);
    client.ws.pause();
    const recorded = await recorder.next(0);
    fillUntilFull(recorded, Buffer.alloc(64 * 1024, 0x63));
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/dropped/);
    await recorded.waitClosed();
    expect(recorded.closes).toBe(1);
    client.ws.terminate();
    await listener.close();
  });

  it('writes the frames of one turn as separate messages, in order, byte for byte', async () => {
    const recorder = new Recorder();
    const listener = await listenUws(
      { host: '127.0.0.1', port: 0, maxPayload: MAX_PAYLOAD, maxBackpressure: 1 << 24 },
      recorder,
      notFound,
    );
    const client = await connectClient(listener.port);
    const recorded = await recorder.next(0);
    // 500 frames in one turn (well past the 64 KiB written at once), text and binary mixed,
    // with the kind told by the caller, left to the transport, or told wrongly-never.
    const frames: { data: Buffer; binary: boolean }[] = [];
    for (let i = 0; i < 500; i++) {
      const binary = i % 7 === 3;
      const data = binary
        ? Buffer.from([0xff, 0xfe, i & 0xff, 0])
        : Buffer.from(`MESSAGE\nn:${i}\n\n${'x'.repeat(i)}\0`);
      frames.push({ data, binary });
      const told = i % 3 === 0 ? undefined : !binary;
      expect(recorded.connection.send(data, told)).toBe(true);
    }
    // Held until the turn ends: nothing has reached the client yet, and it is all counted as buffered.
    expect(client.messages).toHaveLength(0);
    expect(recorded.connection.bufferedAmount).toBeGreaterThan(0);
    await waitFor(() => client.messages.length === frames.length, 'all 500 messages');
    for (let i = 0; i < frames.length; i++) {
      expect(client.messages[i]!.data.equals(frames[i]!.data)).toBe(true);
      expect(client.messages[i]!.isBinary).toBe(frames[i]!.binary);
    }
    client.ws.terminate();
    await listener.close();
  });

  it('sends head + tail parts as one message each, mixed with whole frames, byte for byte', async () => {
    const recorder = new Recorder();
    const listener = await listenUws(
      { host: '127.0.0.1', port: 0, maxPayload: MAX_PAYLOAD, maxBackpressure: 1 << 24 },
      recorder,
      notFound,
    );
    const client = await connectClient(listener.port);
    const recorded = await recorder.next(0);
    const connection = recorded.connection;
    if (connection.sendParts === undefined) throw new Error('uws connection lacks sendParts');
    // The parts share one scratch buffer when joined: frames of the same
    // length one after another, lengths around the scratch's 4096 bytes,
    // binary tails, whole frames in between, and parts reused across frames
    // (a fan-out sends the same tail to every subscriber).
    const sharedTail = Buffer.from('message-id:m-1\ncontent-length:5\n\nhello\0');
    const binaryTail = Buffer.from([0x0a, 0x0a, 0xff, 0xfe, 0x00]);
    const expected: { data: Buffer; binary: boolean }[] = [];
    for (let i = 0; i < 400; i++) {
      if (i === 3) {
        // Both parts of every frame held so far count as buffered.
        expect(connection.bufferedAmount).toBe(expected.reduce((n, f) => n + f.data.length, 0));
      }
      if (i % 5 === 4) {
        const whole = Buffer.from(`RECEIPT\nreceipt-id:${i}\n\n\0`);
        expect(connection.send(whole, true)).toBe(true);
        expected.push({ data: whole, binary: false });
        continue;
      }
      const head = Buffer.from(`MESSAGE\nsubscription:s${i % 3}\n`);
      let tail = sharedTail;
      let binary = false;
      if (i % 7 === 1) {
        tail = binaryTail;
        binary = true;
      } else if (i % 11 === 2) {
        // Just under, at and over the scratch size.
        const size = 4096 - head.length + (i % 3) - 1;
        tail = Buffer.concat([
          Buffer.from('\n'),
          Buffer.alloc(size - 2, 0x61 + (i % 26)),
          Buffer.from([0]),
        ]);
      }
      expect(connection.sendParts(head, tail, !binary)).toBe(true);
      expected.push({ data: Buffer.concat([head, tail]), binary });
    }
    // Held for the turn (past 64 KiB some were written at once), then written.
    expect(client.messages).toHaveLength(0);
    expect(connection.bufferedAmount).toBeGreaterThan(0);
    await waitFor(() => client.messages.length === expected.length, 'all 400 messages');
    for (let i = 0; i < expected.length; i++) {
      expect(client.messages[i]!.data.equals(expected[i]!.data), `message ${i}`).toBe(true);
      expect(client.messages[i]!.isBinary).toBe(expected[i]!.binary);
    }
    // A single frame of parts in a turn (written without a cork) arrives too.
    const head = Buffer.from('MESSAGE\nsubscription:solo\n');
    expect(connection.sendParts(head, sharedTail, true)).toBe(true);
    await waitFor(() => client.messages.length === expected.length + 1, 'the single message');
    expect(client.messages.at(-1)!.data.equals(Buffer.concat([head, sharedTail]))).toBe(true);
    client.ws.terminate();
    await listener.close();
  });

  it('counts frames held for the end of the turn against the high-water mark', async () => {
    const recorder = new Recorder();
    const highWaterMark = 4096;
    const listener = await listenUws(
      {
        host: '127.0.0.1',
        port: 0,
        maxPayload: MAX_PAYLOAD,
        maxBackpressure: 1 << 24,
        highWaterMark,
      },
      recorder,
      notFound,
    );
    const client = await connectClient(listener.port);
    const recorded = await recorder.next(0);
    client.ws.pause(); // stop reading: the kernel buffers fill, then ours
    const frame = Buffer.alloc(1000, 0x61);
    // Below the mark, frames are held for the end of the turn and counted as buffered.
    for (let i = 0; i < 4; i++) expect(recorded.connection.send(frame)).toBe(true);
    expect(recorded.connection.bufferedAmount).toBe(4000);
    expect(client.messages).toHaveLength(0);
    let sent = 4;
    while (recorded.connection.send(frame)) {
      sent++;
      expect(sent).toBeLessThan(1 << 16);
    }
    sent++;
    expect(recorded.connection.bufferedAmount).toBeGreaterThan(highWaterMark);
    await new Promise((r) => setTimeout(r, 50));
    expect(recorded.drains).toBe(0);
    client.ws.resume();
    await waitFor(() => recorded.drains === 1, 'onDrain');
    await waitFor(() => client.messages.length === sent, `all ${sent} messages`);
    expect(client.messages.every((m) => m.data.equals(frame))).toBe(true);
    expect(recorded.connection.bufferedAmount).toBeLessThanOrEqual(highWaterMark);
    expect(recorded.connection.send(frame)).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(recorded.drains).toBe(1);
    client.ws.terminate();
    await listener.close();
  });

  it('keeps parts intact through uWS backpressure (the scratch is reused after each send)', async () => {
    const recorder = new Recorder();
    const listener = await listenUws(
      { host: '127.0.0.1', port: 0, maxPayload: MAX_PAYLOAD, maxBackpressure: 1 << 26 },
      recorder,
      notFound,
    );
    const client = await connectClient(listener.port);
    const recorded = await recorder.next(0);
    const connection = recorded.connection;
    client.ws.pause(); // the kernel's buffers fill, then uWS's backlog takes the rest
    // Every frame differs, and all go through the one scratch: uWS must copy
    // each before the next overwrites it, whether into its cork buffer or
    // into its backlog while the peer is not reading.
    const expected: Buffer[] = [];
    // Turns of 500 frames until uWS holds a backlog of its own (bounded: 64 turns, ~32 MB).
    for (let turn = 0; turn < 64 && connection.bufferedAmount < 1 << 20; turn++) {
      for (let i = 0; i < 500; i++) {
        const n = turn * 500 + i;
        const head = Buffer.from(`MESSAGE\nsubscription:s${n}\n`);
        const tail = Buffer.from(
          `message-id:${n}\n\n${String(n).repeat(1000 / String(n).length)}\0`,
        );
        connection.sendParts!(head, tail, true);
        expected.push(Buffer.concat([head, tail]));
      }
      await new Promise((r) => setImmediate(r)); // end of the turn: the held parts are written
    }
    expect(connection.bufferedAmount).toBeGreaterThanOrEqual(1 << 20);
    client.ws.resume();
    await waitFor(() => client.messages.length === expected.length, 'every message');
    for (let i = 0; i < expected.length; i++) {
      expect(client.messages[i]!.data.equals(expected[i]!), `message ${i}`).toBe(true);
    }
    client.ws.terminate();
    await listener.close();
  });

  it('writes what was held before the close frame on end()', async () => {
    const recorder = new Recorder();
    const listener = await listenUws(
      { host: '127.0.0.1', port: 0, maxPayload: MAX_PAYLOAD, maxBackpressure: 1 << 24 },
      recorder,
      notFound,
    );
    const client = await connectClient(listener.port);
    const recorded = await recorder.next(0);
    for (let i = 0; i < 20; i++) recorded.connection.send(Buffer.from(`ERROR\nn:${i}\n\n\0`));
    recorded.connection.end();
    expect(await client.closed).toBe(1000);
    expect(client.messages.map((m) => m.data.toString())).toEqual(
      Array.from({ length: 20 }, (_, i) => `ERROR\nn:${i}\n\n\0`),
    );
    await listener.close();
  });
});
