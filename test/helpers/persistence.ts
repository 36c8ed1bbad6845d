/**
 * Helpers for the persistence tests: temporary data directories, LMDB brokers
 * (in-process), ACK/NACK shorthands, bounded polling and sentinel-based draining.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { type BrokerContext, type BrokerOverrides, startBroker } from './broker.js';
import { describeFrame, type Frame } from './frames.js';
import { nextReceiptId, type RawStompClient } from './raw-client.js';

/**
 * A fresh directory under the OS temp dir, removed when the test finishes. Register it
 * BEFORE starting brokers on it: onTestFinished hooks run in reverse order, so the
 * brokers are closed before the directory is removed.
 */
export async function tempDataDir(prefix = 'stompede-persist-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onTestFinished(async () => {
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  });
  return dir;
}

/** An in-process broker with the LMDB store on `dataDir` (ephemeral ports, silent). */
export function startLmdbBroker(
  dataDir: string,
  overrides: BrokerOverrides = {},
): Promise<BrokerContext> {
  return startBroker({ store: 'lmdb', dataDir, ...overrides });
}

export const PERSISTENT = { persistent: 'true' } as const;

/** Numeric `seq` header of a frame (NaN when absent). */
export function seqOf(f: Frame): number {
  return Number(f.headers.seq);
}

export function seqs(frames: Frame[]): number[] {
  return frames.map(seqOf);
}

export function bodies(frames: Frame[]): string[] {
  return frames.map((f) => f.bodyText);
}

/** ACK (1.2: by the `ack` header) without waiting for anything. */
export function sendAck(c: RawStompClient, f: Frame, receipt?: string): void {
  const id = f.headers.ack;
  if (id === undefined) throw new Error(`MESSAGE has no ack header: ${describeFrame(f)}`);
  c.send('ACK', receipt === undefined ? { id } : { id, receipt });
}

export function sendNack(c: RawStompClient, f: Frame, receipt?: string): void {
  const id = f.headers.ack;
  if (id === undefined) throw new Error(`MESSAGE has no ack header: ${describeFrame(f)}`);
  c.send('NACK', receipt === undefined ? { id } : { id, receipt });
}

export async function ackWithReceipt(c: RawStompClient, f: Frame): Promise<void> {
  const r = nextReceiptId();
  sendAck(c, f, r);
  await c.expectReceipt(r);
}

export async function nackWithReceipt(c: RawStompClient, f: Frame): Promise<void> {
  const r = nextReceiptId();
  sendNack(c, f, r);
  await c.expectReceipt(r);
}

/**
 * Poll `cond` every few ms until it holds; reject after `timeoutMs` naming `what`.
 * For conditions spread over several connections, where no single frame can be awaited.
 */
export async function waitUntil(
  cond: () => boolean,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 5,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** MESSAGE frames still unconsumed in a client's inbox. */
export function inboxMessages(c: RawStompClient): Frame[] {
  return c.inbox.filter((f) => f.command === 'MESSAGE');
}

/**
 * Publish a persistent sentinel to `dest` (with a receipt) and consume every MESSAGE
 * the consumer receives up to and including it. Because a queue is FIFO within a
 * priority, everything queued before the sentinel has then been delivered: an event
 * barrier instead of a sleep. Returns the messages before the sentinel.
 */
export async function drainUntilSentinel(
  consumer: RawStompClient,
  producer: RawStompClient,
  dest: string,
  opts: { maxMessages?: number; timeoutMs?: number; sentinelHeaders?: Record<string, string> } = {},
): Promise<Frame[]> {
  const maxMessages = opts.maxMessages ?? 100_000;
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  const token = `sentinel-${nextReceiptId()}`;
  await producer.publish(dest, token, {
    persistent: 'true',
    sentinel: token,
    ...opts.sentinelHeaders,
  });
  const out: Frame[] = [];
  for (let i = 0; i <= maxMessages; i++) {
    const f = await consumer.message(undefined, Math.max(1, deadline - Date.now()));
    if (f.headers.sentinel === token) return out;
    out.push(f);
  }
  throw new Error(`more than ${maxMessages} messages before the sentinel on ${dest}`);
}

/** Total size of the files under `dir` (recursively), apparent and allocated, skipping `skip`. */
export async function dirUsage(
  dir: string,
  skip: (name: string) => boolean = () => false,
): Promise<{ apparent: number; allocated: number; files: string[] }> {
  let apparent = 0;
  let allocated = 0;
  const files: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile() && !skip(entry.name)) {
        const s = await stat(p);
        apparent += s.size;
        allocated += s.blocks * 512;
        files.push(p);
      }
    }
  };
  await walk(dir);
  return { apparent, allocated, files };
}
