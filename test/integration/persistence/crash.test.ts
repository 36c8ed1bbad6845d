/**
 * The durability contract under kill -9: the broker runs as a child process on a
 * temporary LMDB directory, is killed at several points, and is restarted on the
 * same directory.
 *
 * - every message that got a RECEIPT comes back, unless it was ACKed with a RECEIPT
 *   (or ACKed without one, which may or may not have been committed);
 * - every message delivered before the kill and never ACKed comes back (it was stored
 *   before it was delivered);
 * - nothing whose ACK got a RECEIPT comes back;
 * - every recovered message is flagged redelivered:true (after a crash the broker
 *   cannot prove it was not handed out);
 * - recovered messages keep their queue order, and none is duplicated or invented.
 */
import { describe, expect, it, vi } from 'vitest';
import { type BrokerProcess, spawnBroker } from '../../helpers/broker-process.js';
import type { Frame } from '../../helpers/frames.js';
import { drainUntilSentinel, tempDataDir, waitUntil } from '../../helpers/persistence.js';
import { type TcpStompClient, uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });

const PRODUCERS = ['p1', 'p2'];
/** SENDs in flight per producer before it waits for the oldest RECEIPT. */
const WINDOW = 100;
const PREFETCH = 50;

const keyOf = (f: Frame): string => `${f.headers.producer}:${f.headers.seq}`;

function isClosedError(err: unknown): boolean {
  const msg = (err as Error).message ?? '';
  return msg.includes('connection closed') || msg.includes('cannot send');
}

/**
 * Send persistent messages numbered 1..max (each with a receipt), keeping WINDOW in
 * flight. Ends when `max` is reached, `stop()` holds, or the broker is killed; any other
 * failure while the broker is alive is rethrown.
 */
async function produce(
  c: TcpStompClient,
  dest: string,
  producer: string,
  max: number,
  proc: BrokerProcess,
  stop: () => boolean,
  deadline: number,
  window: number,
): Promise<number> {
  let sent = 0;
  try {
    for (let seq = 1; seq <= max && !stop() && Date.now() < deadline; seq++) {
      c.send(
        'SEND',
        {
          destination: dest,
          persistent: 'true',
          producer,
          seq: String(seq),
          receipt: `send-${producer}-${seq}`,
        },
        `${producer}:${seq}`,
      );
      sent = seq;
      if (seq > window) await c.expectReceipt(`send-${producer}-${seq - window}`, 15_000);
    }
    for (let seq = Math.max(1, sent - window + 1); seq <= sent; seq++) {
      if (stop()) break;
      await c.expectReceipt(`send-${producer}-${seq}`, 15_000);
    }
  } catch (err) {
    if (!(proc.stopping && isClosedError(err))) throw err;
  }
  return sent;
}

interface ConsumerLog {
  /** Keys of ACKs sent (with or without receipt). */
  acked: Set<string>;
  /** Keys deliberately left unacked. */
  unacked: Set<string>;
}

/**
 * Consume with client-individual acks: every 7th message is left unacked, the others
 * are ACKed, every second one of those with a receipt (`ack-<key>`).
 */
async function consume(
  c: TcpStompClient,
  proc: BrokerProcess,
  log: ConsumerLog,
  deadline: number,
): Promise<void> {
  let i = 0;
  try {
    while (Date.now() < deadline && !proc.stopping) {
      const f = await c.message(undefined, 15_000);
      const key = keyOf(f);
      if (i % 7 === 6) log.unacked.add(key);
      else {
        log.acked.add(key);
        c.send(
          'ACK',
          i % 2 === 0 ? { id: f.headers.ack!, receipt: `ack-${key}` } : { id: f.headers.ack! },
        );
      }
      i++;
    }
  } catch (err) {
    if (!(proc.stopping && isClosedError(err))) throw err;
  }
}

function receiptIds(c: TcpStompClient | undefined, prefix: string): Set<string> {
  const out = new Set<string>();
  for (const f of c?.history ?? []) {
    const id = f.headers['receipt-id'];
    if (f.command === 'RECEIPT' && id?.startsWith(prefix)) out.add(id.slice(prefix.length));
  }
  return out;
}

function messagesIn(c: TcpStompClient | undefined): Frame[] {
  return (c?.history ?? []).filter((f) => f.command === 'MESSAGE');
}

type KillPoint = {
  name: string;
  /** Messages per producer sent (and receipted) before anything else starts; 0 = none. */
  prefill: number;
  /** Producers keep sending while the kill happens. */
  concurrentProducers: boolean;
  consumer: boolean;
  /** SENDs in flight per producer (default WINDOW) and the consumer's prefetch (default PREFETCH). */
  window?: number;
  prefetch?: number;
  /** The kill happens once this holds. */
  ready: (s: { receipts: number; delivered: number; ackReceipts: number }) => boolean;
};

const KILL_POINTS: KillPoint[] = [
  {
    name: 'mid-publish (producers sending, no consumer)',
    prefill: 0,
    concurrentProducers: true,
    consumer: false,
    ready: (s) => s.receipts >= 300,
  },
  {
    name: 'mid-consume (queue prefilled, consumer ACKing)',
    prefill: 250,
    concurrentProducers: false,
    consumer: true,
    ready: (s) => s.delivered >= 150 && s.ackReceipts >= 20,
  },
  {
    name: 'mid-publish and mid-consume at once',
    prefill: 0,
    concurrentProducers: true,
    consumer: true,
    ready: (s) => s.receipts >= 300 && s.delivered >= 150 && s.ackReceipts >= 20,
  },
  {
    // Event turns of over 1,000 store writes: lmdb-js used to start its writer
    // thread mid-turn past 1,000; the store now starts it at the turn's end
    // (lmdb-store.ts WRITER_START). Either way the turn is one transaction.
    name: 'mid-publish and mid-consume, in bursts of 1,500 SENDs and 1,000 unacked',
    prefill: 0,
    concurrentProducers: true,
    consumer: true,
    window: 1500,
    prefetch: 1000,
    ready: (s) => s.receipts >= 4000 && s.delivered >= 2000 && s.ackReceipts >= 20,
  },
];

describe('crash recovery (kill -9 of a broker process on an LMDB data directory)', () => {
  for (const point of KILL_POINTS) {
    it(`keeps every receipted message and drops every ACKed-with-receipt one: kill ${point.name}`, async () => {
      const dataDir = await tempDataDir();
      const dest = `/queue/${uniqueName('crash')}`;
      const deadline = Date.now() + 25_000;

      const first = await spawnBroker({ dataDir });
      const producers = await Promise.all(
        PRODUCERS.map((p) => first.connectTcp({}, `producer ${p}`)),
      );
      let stopProducers = false;
      const sentCounts = new Map<string, number>();
      const runProducers = (max: number) =>
        Promise.all(
          PRODUCERS.map(async (p, i) => {
            const n = await produce(
              producers[i]!,
              dest,
              p,
              max,
              first,
              () => stopProducers,
              deadline,
              point.window ?? WINDOW,
            );
            sentCounts.set(p, Math.max(sentCounts.get(p) ?? 0, n));
          }),
        );

      if (point.prefill > 0) await runProducers(point.prefill);

      let consumer: TcpStompClient | undefined;
      const log: ConsumerLog = { acked: new Set(), unacked: new Set() };
      let consuming: Promise<void> = Promise.resolve();
      if (point.consumer) {
        consumer = await first.connectTcp({}, 'consumer');
        await consumer.subscribe(dest, 'c', {
          ack: 'client-individual',
          'activemq.prefetchSize': String(point.prefetch ?? PREFETCH),
        });
        consuming = consume(consumer, first, log, deadline);
      }
      let producing: Promise<void> = Promise.resolve();
      if (point.concurrentProducers) {
        // The producers' sequence numbers continue after any prefill.
        producing = runProducers(4000).then(() => {});
      }

      const snapshot = () => ({
        receipts: producers.reduce(
          (n, c) => n + c.history.filter((f) => f.command === 'RECEIPT').length,
          0,
        ),
        delivered: messagesIn(consumer).length,
        ackReceipts: receiptIds(consumer, 'ack-').size,
      });
      // A producer or consumer failing while the broker is alive must fail the test now.
      const failFast = Promise.all([producing, consuming]).then(() => {
        if (!first.stopping)
          throw new Error(`work ended before the kill point: ${JSON.stringify(snapshot())}`);
      });
      await Promise.race([
        waitUntil(() => point.ready(snapshot()), `kill point: ${point.name}`, 20_000),
        failFast,
      ]);
      const exit = await first.kill9();
      expect(exit.signal).toBe('SIGKILL');
      stopProducers = true;
      await Promise.all([producing, consuming, failFast.catch(() => {})]);
      for (const c of [...producers, consumer]) if (c) await c.expectClosed(5000);

      // What the clients learnt before the kill (all frames the dead broker ever wrote).
      const sendReceipts = new Set<string>();
      for (const [i, p] of PRODUCERS.entries()) {
        for (const id of receiptIds(producers[i], `send-`)) {
          if (id.startsWith(`${p}-`)) sendReceipts.add(`${p}:${id.slice(p.length + 1)}`);
        }
      }
      const deliveredBefore = messagesIn(consumer);
      const ackConfirmed = receiptIds(consumer, 'ack-');
      expect(sendReceipts.size).toBeGreaterThan(0);
      if (point.consumer) expect(ackConfirmed.size).toBeGreaterThan(0);

      // Restart on the same directory (the killed process left its pid file behind).
      const second = await spawnBroker({ dataDir });
      const drainer = await second.connectTcp({}, 'drainer');
      await drainer.subscribe(dest, 'd', { ack: 'auto' });
      const producer2 = await second.connectTcp({}, 'producer after restart');
      const recovered = await drainUntilSentinel(drainer, producer2, dest, { timeoutMs: 20_000 });
      const recoveredKeys = recovered.map(keyOf);

      // No duplicates, nothing invented.
      expect(new Set(recoveredKeys).size).toBe(recoveredKeys.length);
      for (const f of recovered) {
        const p = f.headers.producer!;
        expect(PRODUCERS).toContain(p);
        expect(Number(f.headers.seq)).toBeLessThanOrEqual(sentCounts.get(p) ?? 0);
        expect(f.bodyText).toBe(keyOf(f));
      }
      // Order within the queue holds: per producer, strictly increasing.
      for (const p of PRODUCERS) {
        const s = recovered
          .filter((f) => f.headers.producer === p)
          .map((f) => Number(f.headers.seq));
        for (let i = 1; i < s.length; i++) expect(s[i]!).toBeGreaterThan(s[i - 1]!);
      }
      // Every recovered message is flagged redelivered after a crash.
      const notFlagged = recovered.filter((f) => f.headers.redelivered !== 'true').map(keyOf);
      expect(notFlagged, 'recovered after kill -9 without redelivered:true').toEqual([]);

      const recoveredSet = new Set(recoveredKeys);
      // Receipted and not ACKed at all → must be back.
      const mustBeBack = new Set(
        [...sendReceipts, ...deliveredBefore.map(keyOf)].filter((k) => !log.acked.has(k)),
      );
      const lost = [...mustBeBack].filter((k) => !recoveredSet.has(k));
      expect(lost, 'receipted (or delivered) and never ACKed, but lost by the crash').toEqual([]);
      for (const k of log.unacked) expect(recoveredSet.has(k)).toBe(true);
      // ACKed with a RECEIPT → gone for good.
      const resurrected = [...ackConfirmed].filter((k) => recoveredSet.has(k));
      expect(resurrected, 'ACKed with a RECEIPT before the kill, yet back after it').toEqual([]);

      await drainer.expectNoMessage();
    });
  }
});
