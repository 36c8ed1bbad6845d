/**
 * The fan-out fast path (issue 9): frames held per connection until the end
 * of the event-loop turn, a MESSAGE's shared part encoded once per version,
 * and one Buffer shared by subscribers whose frames are byte-identical. Each
 * subscriber must still get exactly its own frames, in order, one STOMP frame
 * per WebSocket message, whatever version and subscription id it uses.
 */
import { describe, expect, it, vi } from 'vitest';
import { startBroker, WS_TRANSPORTS } from '../helpers/broker.js';
import type { Frame } from '../helpers/frames.js';
import { type RawStompClient, uniqueName, WsStompClient } from '../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

const BURST = 300;

/** `n` SEND frames as one write, so the broker reads them in one chunk (one turn). */
function burstOf(destination: string, n: number): Buffer {
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    // A header value that 1.0 sends raw and 1.1/1.2 escape: the shared part differs by version.
    const body = `m${i}:${'é'.repeat(i % 5)}`;
    frames.push(
      Buffer.from(
        `SEND\ndestination:${destination}\nx-note:a\\cb\ncontent-type:text/plain\ncontent-length:${Buffer.byteLength(body)}\n\n${body}\0`,
      ),
    );
  }
  return Buffer.concat(frames);
}

function expectBurst(frames: Frame[], destination: string, subscription: string): void {
  expect(frames.map((f) => f.bodyText)).toEqual(
    Array.from({ length: BURST }, (_, i) => `m${i}:${'é'.repeat(i % 5)}`),
  );
  const ids = new Set<string>();
  for (const f of frames) {
    expect(f.headers.subscription).toBe(subscription);
    expect(f.headers.destination).toBe(destination);
    expect(f.headers['x-note']).toBe('a:b');
    expect(Number(f.headers['content-length'])).toBe(Buffer.byteLength(f.bodyText));
    ids.add(f.headers['message-id']!);
  }
  expect(ids.size).toBe(BURST);
}

describe.each(WS_TRANSPORTS)('fan-out frames (WebSocket engine %s)', (wsTransport) => {
  it('gives every subscriber its own exact frames when many share a subscription id and others differ in version', async () => {
    const b = await startBroker({ wsTransport });
    const dest = `/topic/${uniqueName('fan')}`;
    // Four clients with the id every @stomp/stompjs client uses first ('sub-0'), in
    // three versions and over both wires; two with their own ids; one with client acks.
    const specs: { wire: 'ws' | 'tcp'; version: string; id: string; ack?: string }[] = [
      { wire: 'ws', version: '1.2', id: 'sub-0' },
      { wire: 'ws', version: '1.2', id: 'sub-0' },
      { wire: 'tcp', version: '1.1', id: 'sub-0' },
      { wire: 'ws', version: '1.0', id: 'sub-0' },
      { wire: 'ws', version: '1.2', id: 'other:id' },
      { wire: 'tcp', version: '1.2', id: 'sub-1' },
      { wire: 'ws', version: '1.2', id: 'sub-0', ack: 'client-individual' },
    ];
    const subs: RawStompClient[] = [];
    for (const [i, spec] of specs.entries()) {
      const headers = { 'accept-version': spec.version };
      const c =
        spec.wire === 'ws'
          ? await b.connectWs(headers, `sub${i}`)
          : await b.connectTcp(headers, `sub${i}`);
      await c.subscribe(dest, spec.id, {
        ack: spec.ack ?? 'auto',
        'activemq.prefetchSize': '1000',
      });
      subs.push(c);
    }
    const pub = await b.connectTcp({}, 'pub');
    pub.sendRaw(burstOf(dest, BURST));
    await pub.sendWithReceipt('SEND', { destination: `${dest}-done` }, '');
    for (const [i, c] of subs.entries()) {
      const spec = specs[i]!;
      const frames = await c.messages(BURST);
      expectBurst(frames, dest, spec.id);
      if (spec.ack) {
        const acks = new Set(frames.map((f) => f.headers.ack));
        expect(acks.size).toBe(BURST);
      } else {
        expect(frames.every((f) => f.headers.ack === undefined)).toBe(true);
      }
      if (c instanceof WsStompClient) {
        // One STOMP frame per WebSocket message (CONNECTED, RECEIPT, then the burst), all text.
        await c.expectNoFrame();
        expect(c.wsMessageKinds).toEqual(Array(2 + BURST).fill('text'));
      }
    }
  });

  it('sends a body that is not UTF-8 as binary messages and a UTF-8 one as text, to every subscriber', async () => {
    const b = await startBroker({ wsTransport });
    const dest = `/topic/${uniqueName('bin')}`;
    const subs = [await b.connectWs({}, 'a'), await b.connectWs({}, 'b')];
    for (const c of subs) await c.subscribe(dest, 'sub-0');
    const pub = await b.connectWs({}, 'pub');
    const binary = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
    pub.send('SEND', { destination: dest, 'content-length': String(binary.length) }, binary, {
      binary: true,
    });
    await pub.sendWithReceipt('SEND', { destination: dest }, 'text ✓');
    for (const c of subs as WsStompClient[]) {
      const [first, second] = await c.messages(2);
      expect(Buffer.compare(first!.body, binary)).toBe(0);
      expect(second!.bodyText).toBe('text ✓');
      expect(c.wsMessageKinds.slice(-2)).toEqual(['binary', 'text']);
    }
  });
});
