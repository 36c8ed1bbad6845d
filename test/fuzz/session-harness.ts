/**
 * Runs one fuzzed conversation against a real in-process broker over a raw TCP
 * socket and judges what came back, with the independent frame reader of
 * test/helpers/frames.ts (never the broker's own parser).
 */
import { pino } from 'pino';
import { createBroker } from '../../server/src/index.js';
import { closeWithTimeout } from '../helpers/broker.js';
import { describeFrame, encodeFrame, type Frame } from '../helpers/frames.js';
import { TcpStompClient } from '../helpers/raw-client.js';
import { applyMutations, concat, splitAt } from './mutations.js';
import type { Header, SessionCase, Step } from './session-arbitraries.js';

type Broker = ReturnType<typeof createBroker>;

/**
 * Small limits so that fuzzed frames hit them; short windows so heart-beat,
 * resume and redelivery paths run within a case.
 */
export const FUZZ_BROKER_CONFIG = {
  host: '127.0.0.1',
  tcpPort: 0,
  wsPort: null,
  store: 'memory',
  logLevel: 'silent',
  heartbeat: { sendMs: 20, receiveMs: 20, graceMs: 100 },
  limits: {
    maxFrameSize: 64 * 1024,
    maxHeaders: 32,
    maxSubscriptionsPerConnection: 4,
    maxTransactionsPerConnection: 2,
    maxFramesPerTransaction: 4,
  },
  queues: { defaultPrefetch: 2 },
  destinationDefaults: { maxRedeliveries: 1, historyMaxMessages: 3 },
  resume: { windowMs: 200, maxBufferedMessages: 4, maxBufferedBytes: 4096 },
} as const;

export interface LogEntry {
  level: number;
  msg: string;
  line: string;
}

export interface FuzzBroker {
  broker: Broker;
  port: number;
  /** warn and above, as the broker logged them. */
  logs: LogEntry[];
  close(): Promise<void>;
}

export async function startFuzzBroker(): Promise<FuzzBroker> {
  const logs: LogEntry[] = [];
  const logger = pino(
    { level: 'warn' },
    {
      write(line: string) {
        let level = 0;
        let msg = '';
        try {
          const parsed = JSON.parse(line) as { level?: number; msg?: string };
          level = parsed.level ?? 0;
          msg = parsed.msg ?? '';
        } catch {
          level = 60;
        }
        logs.push({ level, msg, line: line.trim() });
      },
    },
  );
  const broker = createBroker(
    structuredClone(FUZZ_BROKER_CONFIG) as Parameters<typeof createBroker>[0],
    logger,
  );
  const addr = await broker.listen();
  if (addr.tcp === null) throw new Error('no TCP listener');
  return {
    broker,
    port: addr.tcp.port,
    logs,
    close: () => closeWithTimeout(broker),
  };
}

const SERVER_COMMANDS = new Set(['CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR']);
const SENTINEL_RECEIPT = 'fuzz-end';
/** No new frame for this long: the broker has answered all it is going to. */
const QUIET_MS = 150;
const SETTLE_CAP_MS = 3_000;
/** After ERROR the broker must close the connection within this. */
const CLOSE_AFTER_ERROR_MS = 2_000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitUntil(pred: () => boolean, ms: number, everyMs = 2): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() >= deadline) return false;
    await delay(everyMs);
  }
  return true;
}

export interface Transcript {
  /** Every chunk written, in order (for the failure report: the exact bytes to replay). */
  written: Uint8Array[];
  frames: Frame[];
  parseError: Error | undefined;
  closed: boolean;
  /** Set when the connection was still open this long after an ERROR. */
  errorThenOpenMs: number | undefined;
}

function encodeStep(
  step: Step,
  version: string,
  history: readonly Frame[],
  tame: boolean,
  acked: Set<Frame>,
): Uint8Array | null {
  switch (step.kind) {
    case 'frame': {
      const connecting = step.command === 'CONNECT' || step.command === 'STOMP';
      const bytes = encodeFrame(step.command, step.headers, step.body, {
        escape: version !== '1.0' && !connecting,
        contentLength: step.contentLength,
      });
      return applyMutations(bytes, step.mutations);
    }
    case 'raw':
      return Uint8Array.from(step.bytes);
    case 'heartbeat':
      return new TextEncoder().encode(step.crlf ? '\r\n' : '\n');
    case 'ack-last': {
      const last = [...history].reverse().find((f) => f.command === 'MESSAGE');
      if (last === undefined) return null;
      // A tame client acks only what asks for it, once.
      if (tame && (acked.has(last) || (version === '1.2' && last.headers.ack === undefined))) {
        return null;
      }
      acked.add(last);
      const headers: Header[] = [];
      if (last.headers.ack !== undefined) headers.push(['id', last.headers.ack]);
      else {
        headers.push(['message-id', last.headers['message-id'] ?? '']);
        headers.push(['subscription', last.headers.subscription ?? '']);
      }
      if (step.transaction !== null) headers.push(['transaction', step.transaction]);
      if (step.receipt) headers.push(['receipt', 'r-ack-last']);
      return encodeFrame(step.command, headers, '', { escape: version !== '1.0' });
    }
    case 'pause':
      return null;
  }
}

/** Play one case on a fresh connection; returns what was sent and what came back. */
export async function playCase(port: number, c: SessionCase): Promise<Transcript> {
  const client = new TcpStompClient('127.0.0.1', port, 'fuzz');
  const written: Uint8Array[] = [];
  const acked = new Set<Frame>();
  const write = (bytes: Uint8Array) => {
    if (client.isClosed || client.socket.destroyed) return;
    written.push(bytes);
    client.socket.write(bytes);
  };
  try {
    await client.opened;
    for (const step of c.steps) {
      if (client.isClosed) break;
      if (step.kind === 'pause') {
        await delay(step.ms);
        continue;
      }
      const bytes = encodeStep(step, client.version, client.history, c.tame, acked);
      if (bytes === null) continue;
      const pieces = step.kind === 'frame' ? splitAt(bytes, step.splits) : [bytes];
      for (let i = 0; i < pieces.length; i++) {
        if (i > 0) await delay(1);
        if (pieces[i]!.length > 0) write(pieces[i]!);
      }
      if (step.kind === 'frame' && (step.command === 'CONNECT' || step.command === 'STOMP')) {
        // A client waits for CONNECTED, and learns the version to escape headers for.
        await waitUntil(
          () => client.isClosed || client.history.some((f) => f.command !== 'MESSAGE'),
          300,
        );
      } else if (step.kind === 'ack-last' || written.length % 4 === 0) {
        await delay(0);
      }
    }
    // Sentinel: answered by RECEIPT (connected) or ERROR (not connected) unless the parser is
    // mid-frame, in which case the broker rightly waits for more bytes.
    write(encodeFrame('DISCONNECT', [['receipt', SENTINEL_RECEIPT]], '', { escape: false }));
    let seen = -1;
    let quietSince = Date.now();
    const started = Date.now();
    while (!client.isClosed && Date.now() - started < SETTLE_CAP_MS) {
      if (client.history.length !== seen) {
        seen = client.history.length;
        quietSince = Date.now();
      } else if (Date.now() - quietSince >= QUIET_MS) {
        break;
      }
      await delay(5);
    }
    let errorThenOpenMs: number | undefined;
    if (client.history.some((f) => f.command === 'ERROR') && !client.isClosed) {
      const closed = await waitUntil(() => client.isClosed, CLOSE_AFTER_ERROR_MS, 10);
      if (!closed) errorThenOpenMs = CLOSE_AFTER_ERROR_MS;
    }
    return {
      written,
      frames: [...client.history],
      parseError: client.parseError,
      closed: client.isClosed,
      errorThenOpenMs,
    };
  } finally {
    client.destroy();
  }
}

const DISCONNECT_LINE = /(^|[\n\0])DISCONNECT\r?\n/;

/** Rules the broker's output must follow, whatever the client sent. */
export function judge(t: Transcript): string[] {
  const bad: string[] = [];
  const frames = t.frames;
  if (t.parseError) bad.push(`broker output does not parse: ${t.parseError.message}`);
  frames.forEach((f, i) => {
    if (!SERVER_COMMANDS.has(f.command)) bad.push(`#${i}: ${f.command} is not a server frame`);
    if (f.command === 'CONNECTED' && i !== 0) bad.push(`#${i}: CONNECTED is not the first frame`);
    if (f.command === 'ERROR') {
      if (i !== frames.length - 1) bad.push(`#${i}: frames after ERROR`);
      if (f.headers.message === undefined) bad.push(`#${i}: ERROR without message header`);
      if (f.headers.message === 'internal error') bad.push(`#${i}: ERROR "internal error" (a bug)`);
    }
    if (f.command === 'MESSAGE') {
      for (const h of ['destination', 'message-id', 'subscription']) {
        if (f.headers[h] === undefined) bad.push(`#${i}: MESSAGE without ${h}`);
      }
    }
    if (f.command === 'RECEIPT') {
      if (f.headers['receipt-id'] === undefined) bad.push(`#${i}: RECEIPT without receipt-id`);
      if (f.headers['receipt-id'] === SENTINEL_RECEIPT && i !== frames.length - 1) {
        bad.push(`#${i}: frames after the DISCONNECT receipt`);
      }
    }
  });
  const first = frames[0];
  if (first !== undefined && first.command !== 'CONNECTED' && first.command !== 'ERROR') {
    bad.push(`first frame is ${first.command}, before any CONNECTED`);
  }
  if (frames.filter((f) => f.command === 'ERROR').length > 1) bad.push('more than one ERROR');
  if (t.errorThenOpenMs !== undefined) {
    bad.push(`connection still open ${t.errorThenOpenMs} ms after ERROR`);
  }
  const last = frames.at(-1);
  const endedCleanly =
    last?.command === 'ERROR' ||
    (last?.command === 'RECEIPT' && last.headers['receipt-id'] === SENTINEL_RECEIPT);
  if (t.closed && !endedCleanly) {
    const sent = Buffer.from(concat(t.written)).toString('latin1');
    if (!DISCONNECT_LINE.test(sent)) bad.push('broker closed the connection without ERROR');
  }
  if (last?.command === 'RECEIPT' && last.headers['receipt-id'] === SENTINEL_RECEIPT && !t.closed) {
    bad.push('still open after the DISCONNECT receipt');
  }
  return bad;
}

export function describeTranscript(t: Transcript): string {
  const wire = Buffer.from(concat(t.written)).toString('latin1');
  const frames = t.frames.map((f) => `    ${describeFrame(f)}`).join('\n');
  return [
    `  sent (${t.written.length} writes, as a JS string): ${JSON.stringify(wire)}`,
    `  received (closed=${t.closed}):`,
    frames || '    (nothing)',
  ].join('\n');
}

let healthCounter = 0;

/** A fresh, well-behaved client can still CONNECT and round-trip a message. */
export async function healthCheck(port: number): Promise<void> {
  const client = new TcpStompClient('127.0.0.1', port, 'health');
  try {
    await client.opened;
    await client.connect({ 'accept-version': '1.2' });
    const destination = `/queue/health.${++healthCounter}`;
    await client.subscribe(destination, 'h', { receipt: 'health-sub' });
    await client.publish(destination, 'ping');
    const message = await client.message(undefined, 3_000);
    if (message.bodyText !== 'ping') throw new Error(`health: got ${describeFrame(message)}`);
    await client.disconnect();
  } finally {
    client.destroy();
  }
}

/** A broker that blocks its event loop this long has stopped serving everyone. */
export const STALL_MS = 1_000;

/** Largest gap between ticks of a 10 ms timer while installed: how long the event loop was blocked. */
export class StallWatch {
  maxGapMs = 0;
  private last = performance.now();
  private readonly timer = setInterval(() => {
    const now = performance.now();
    this.maxGapMs = Math.max(this.maxGapMs, Math.round(now - this.last));
    this.last = now;
  }, 10);

  stop(): void {
    clearInterval(this.timer);
    const now = performance.now();
    this.maxGapMs = Math.max(this.maxGapMs, Math.round(now - this.last));
  }
}

/** Collects uncaught exceptions and unhandled rejections while installed. */
export class CrashWatch {
  readonly crashes: string[] = [];
  private readonly onException = (err: unknown) => {
    this.crashes.push(`uncaughtException: ${err instanceof Error ? err.stack : String(err)}`);
  };
  private readonly onRejection = (reason: unknown) => {
    this.crashes.push(
      `unhandledRejection: ${reason instanceof Error ? reason.stack : String(reason)}`,
    );
  };

  install(): void {
    process.on('uncaughtException', this.onException);
    process.on('unhandledRejection', this.onRejection);
  }

  uninstall(): void {
    process.off('uncaughtException', this.onException);
    process.off('unhandledRejection', this.onRejection);
  }
}

/**
 * Every check of one case: output rules, no crash, no error logged, the broker
 * still serves a fresh client, and no session outlives its connection.
 * Throws one error listing everything wrong, with the transcript.
 */
export async function checkCase(fb: FuzzBroker, c: SessionCase, watch: CrashWatch): Promise<void> {
  const logsBefore = fb.logs.length;
  const crashesBefore = watch.crashes.length;
  const stall = new StallWatch();
  let t: Transcript;
  try {
    t = await playCase(fb.port, c);
  } finally {
    stall.stop();
  }
  const bad = judge(t);
  if (stall.maxGapMs > STALL_MS) {
    bad.push(`the event loop (broker and all its clients) stalled for ${stall.maxGapMs} ms`);
  }
  try {
    await healthCheck(fb.port);
  } catch (err) {
    bad.push(`broker no longer serves a fresh client: ${(err as Error).message}`);
  }
  // Parked (resumable) sessions end with the 200 ms resume window, on a scheduler tick.
  const drained = await waitUntil(() => fb.broker.connectionCount === 0, 3_000, 10);
  if (!drained) bad.push(`${fb.broker.connectionCount} session(s) outlived their connection`);
  for (const entry of fb.logs.slice(logsBefore)) {
    if (entry.level >= 50) bad.push(`broker logged an error: ${entry.line}`);
  }
  bad.push(...watch.crashes.slice(crashesBefore));
  if (bad.length > 0) {
    throw new Error(`${bad.join('\n')}\n${describeTranscript(t)}`);
  }
}
