/**
 * Helpers for the ActiveMQ/RabbitMQ compatibility tests (test/integration/compat/):
 * a broker starter that accepts config keys the typed options may not know yet
 * (`compat`, `exchanges`, …), ERROR expectations, and receipt barriers.
 */
import { expect } from 'vitest';
import { type BrokerContext, type BrokerOverrides, startBroker } from './broker.js';
import { describeFrame, type Frame } from './frames.js';
import { nextReceiptId, type RawStompClient, uniqueName } from './raw-client.js';

/** Broker config for compat tests; keys beyond the typed options are passed through unchanged. */
export type CompatConfig = BrokerOverrides & Record<string, unknown>;

export function startCompatBroker(config: CompatConfig = {}): Promise<BrokerContext> {
  return startBroker(config as BrokerOverrides);
}

/**
 * Wait for an ERROR frame (skipping nothing else: other frames stay in the inbox),
 * then for the broker to close the connection. Returns the ERROR.
 */
export async function expectError(c: RawStompClient, what = 'an ERROR frame'): Promise<Frame> {
  const err = await c.waitForFrame((f) => f.command === 'ERROR', what);
  await c.expectClosed();
  return err;
}

/** The ERROR's `message` header and body together, for "names X" assertions. */
export function errorText(err: Frame): string {
  return `${err.headers.message ?? ''}\n${err.bodyText}`;
}

/**
 * Send `command` with a receipt and expect an ERROR (not a RECEIPT) in answer,
 * followed by the connection closing.
 */
export async function expectRefused(
  c: RawStompClient,
  command: string,
  headers: Record<string, string>,
  body = '',
): Promise<Frame> {
  const receipt = nextReceiptId();
  c.send(command, { ...headers, receipt }, body);
  const f = await c.waitForFrame(
    (x) =>
      x.command === 'ERROR' || (x.command === 'RECEIPT' && x.headers['receipt-id'] === receipt),
    `ERROR in answer to ${command} ${JSON.stringify(headers)}`,
  );
  if (f.command !== 'ERROR') {
    throw new Error(
      `expected ERROR for ${command} ${JSON.stringify(headers)} but the broker accepted it: ${describeFrame(f)}`,
    );
  }
  await c.expectClosed();
  return f;
}

/**
 * Receipt barrier: an empty transaction (BEGIN, ABORT) with receipts on `c`. Every frame
 * the broker queued for `c` before it handled these (e.g. MESSAGEs routed by a publish
 * whose RECEIPT was already seen) is then in `c.inbox`. It publishes nothing, so
 * wildcard subscribers elsewhere see no trace of it.
 */
export async function barrier(c: RawStompClient): Promise<void> {
  const transaction = uniqueName('barrier');
  await c.sendWithReceipt('BEGIN', { transaction });
  await c.sendWithReceipt('ABORT', { transaction });
}

/** Barrier, then take every unconsumed MESSAGE out of the inbox (in arrival order). */
export async function drainMessages(c: RawStompClient): Promise<Frame[]> {
  await barrier(c);
  const out: Frame[] = [];
  for (let i = 0; i < c.inbox.length; ) {
    const f = c.inbox[i]!;
    if (f.command === 'MESSAGE') {
      out.push(f);
      c.inbox.splice(i, 1);
    } else i++;
  }
  return out;
}

export function bodiesOf(frames: Frame[]): string[] {
  return frames.map((f) => f.bodyText);
}

/** Browse a queue (browser:true) on a fresh connection: the bodies waiting in it, in order. */
export async function browseBodies(b: BrokerContext, destination: string): Promise<string[]> {
  const c = await b.connectTcp({}, 'browser');
  const id = uniqueName('browse');
  c.send('SUBSCRIBE', { destination, id, browser: 'true', ack: 'auto' });
  const out: string[] = [];
  for (;;) {
    const f = await c.message((m) => m.headers.subscription === id);
    if (f.headers.browser === 'end') break;
    out.push(f.bodyText);
  }
  await c.disconnect();
  return out;
}

/** ACK/NACK by the MESSAGE's `ack` header (STOMP 1.2) with extra headers, waiting for the RECEIPT. */
export async function settle(
  c: RawStompClient,
  command: 'ACK' | 'NACK',
  f: Frame,
  extra: Record<string, string> = {},
): Promise<void> {
  const id = f.headers.ack;
  expect(id, `MESSAGE has no ack header: ${describeFrame(f)}`).toBeDefined();
  await c.sendWithReceipt(command, { id: id!, ...extra });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The first MESSAGE to arrive at any of `clients`, consumed from that client only
 * (unlike Promise.race over `message()`, which would leave the losers' waits
 * pending and swallow their next message). Returns the frame and the client.
 */
export async function firstMessage(
  clients: RawStompClient[],
  timeoutMs = 5000,
): Promise<{ frame: Frame; client: RawStompClient }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const client of clients) {
      const idx = client.inbox.findIndex((f) => f.command === 'MESSAGE');
      if (idx >= 0) {
        const [frame] = client.inbox.splice(idx, 1);
        return { frame: frame!, client };
      }
    }
    if (Date.now() > deadline)
      throw new Error(
        `no MESSAGE within ${timeoutMs}ms on any of ${clients.map((c) => c.label).join(', ')}`,
      );
    await sleep(2);
  }
}
