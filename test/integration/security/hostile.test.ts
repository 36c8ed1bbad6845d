/**
 * Hostile neighbours: while one client floods garbage, another holds 500
 * connections that never CONNECT, and a third subscribes to a busy topic and
 * never reads, a well-behaved client's messages must all keep arriving
 * promptly, and the broker's memory must stay bounded.
 *
 * The broker runs as a child process (the built CLI, memory store, no
 * WebSocket) so its resident memory can be read from /proc/<pid>/status
 * without the test's own allocations in it. Linux only (/proc).
 *
 * The test states the behaviour, not a mechanism: it does not care whether the
 * broker drops, disconnects or throttles the slow consumer, only that the
 * well-behaved client is unaffected and memory stays under the bound.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../helpers/frames.js';
import { TcpStompClient } from '../../helpers/raw-client.js';

const CLI = fileURLToPath(new URL('../../../server/dist/cli.js', import.meta.url));
const HOST = '127.0.0.1';

/** The bounds under test. */
const RSS_GROWTH_LIMIT = 300 * 1024 * 1024;
const P99_LATENCY_LIMIT_MS = 1_000;

/**
 * Well-behaved traffic: one message every INTERVAL ms for as long as the busy
 * topic is being flooded, at least MIN_MESSAGES and at most MAX_MESSAGES.
 */
const MIN_MESSAGES = 200;
const MAX_MESSAGES = 1_200;
const INTERVAL_MS = 25;

/** Hostile load, each bounded in count and in time. */
const IDLE_CONNECTIONS = 500;
const BUSY_BODY_BYTES = 64 * 1024;
/** Published to the busy topic in all: twice the RSS bound, so unbounded buffering would show. */
const BUSY_TARGET_BYTES = 2 * RSS_GROWTH_LIMIT;
/** Messages a busy publisher has in flight before it waits for a receipt. */
const BUSY_WINDOW = 32;
/**
 * Busy publishers are legitimate clients: each stays at a pace well under the
 * broker's default per-connection inbound rate limit (128 MiB/s).
 */
const BUSY_PUBLISHERS = 2;
const BUSY_BYTES_PER_SECOND = 48 * 1024 * 1024;
const GARBAGE_MAX_CONNECTIONS = 2_000;
const GARBAGE_MAX_BYTES = 8 * 1024 * 1024 * 1024;
/** Every neighbour stops at this time limit, whatever else. */
const HOSTILE_PHASE_MAX_MS = 30_000;

const MiB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface BrokerChild {
  child: ChildProcess;
  pid: number;
  port: number;
  output(): string;
  alive(): boolean;
}

async function startBrokerProcess(): Promise<BrokerChild> {
  if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: run \`npm run build\` first`);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STOMPEDE_')) env[k] = v;
  const child = spawn(
    process.execPath,
    [
      CLI,
      'serve',
      '--host',
      HOST,
      '--tcp-port',
      '0',
      '--ws-port',
      'off',
      '--store',
      'memory',
      '--log-level',
      'warn',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  // Keep only the tail: a flood of warnings must not grow the test's own memory.
  const collect = (d: Buffer) => {
    out = (out + d.toString('utf8')).slice(-64 * 1024);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start:\n${out}`)), 20_000);
    const check = () => {
      const m = /stomp:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    port,
    output: () => out,
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}

/** Resident set size of a process, bytes (VmRSS of /proc/<pid>/status). */
function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}

/** Everything opened by the neighbours, torn down at the end whatever happens. */
const sockets = new Set<net.Socket>();
const clients = new Set<TcpStompClient>();

function rawSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port });
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

async function stompClient(port: number, label: string): Promise<TcpStompClient> {
  const c = new TcpStompClient(HOST, port, label);
  clients.add(c);
  await c.opened;
  await c.connect({ 'accept-version': '1.2' });
  return c;
}

/** Write and wait until the socket can take more (or is gone). */
function writeWithBackpressure(socket: net.Socket, data: Uint8Array): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  if (socket.write(data)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

interface Stop {
  stopped: boolean;
  deadline: number;
}
const running = (stop: Stop) => !stop.stopped && Date.now() < stop.deadline;

/**
 * Garbage flooder: connection after connection, each fed garbage until the
 * broker closes it. Four flavours, in turn: random bytes (fails at once), an
 * endless command line, an endless header line after a valid CONNECT, and an
 * endless NUL-terminated body after a valid CONNECT (fails at maxFrameSize).
 */
async function floodGarbage(port: number, stop: Stop) {
  const pool = randomBytes(1024 * 1024);
  const stats = { connections: 0, bytes: 0, refused: 0, ms: 0 };
  const started = Date.now();
  const connect = encodeFrame('CONNECT', { 'accept-version': '1.2', host: 'localhost' });
  const preludes = [
    Buffer.alloc(0),
    Buffer.from('SEND'),
    Buffer.concat([connect, Buffer.from('SEND\ndestination:/queue/x\nx-junk:')]),
    Buffer.concat([connect, Buffer.from('SEND\ndestination:/queue/garbage\n\n')]),
  ];
  const fillers = [pool, Buffer.alloc(64 * 1024, 0x41), Buffer.alloc(64 * 1024, 0x61), pool];
  while (running(stop) && stats.connections < GARBAGE_MAX_CONNECTIONS) {
    const flavour = stats.connections % preludes.length;
    let socket: net.Socket;
    try {
      socket = await rawSocket(port);
    } catch {
      // Refused or reset (a connection limit, say): fine for a flooder, but do not spin.
      stats.refused++;
      await delay(20);
      continue;
    }
    stats.connections++;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('data', () => {}); // read (and drop) the ERROR
    await writeWithBackpressure(socket, preludes[flavour]!);
    let offset = 0;
    while (!socket.destroyed && socket.writable && running(stop)) {
      if (stats.bytes >= GARBAGE_MAX_BYTES) break;
      const filler = fillers[flavour]!;
      const piece = filler.subarray(offset % filler.length, (offset % filler.length) + 64 * 1024);
      offset += piece.length;
      stats.bytes += piece.length;
      await writeWithBackpressure(socket, piece);
    }
    socket.destroy();
    await closed;
    if (stats.bytes >= GARBAGE_MAX_BYTES) break;
  }
  stats.ms = Date.now() - started;
  return stats;
}

/** Idle horde: connections that never send a byte (not even CONNECT). */
async function openIdleHorde(port: number) {
  const horde: net.Socket[] = [];
  let failed = 0;
  for (let i = 0; i < IDLE_CONNECTIONS; i += 50) {
    const batch = await Promise.allSettled(
      Array.from({ length: Math.min(50, IDLE_CONNECTIONS - i) }, () => rawSocket(port)),
    );
    for (const r of batch) {
      if (r.status === 'fulfilled') {
        r.value.on('data', () => {});
        horde.push(r.value);
      } else failed++;
    }
  }
  return { horde, failed };
}

/** Busy topic publisher: 64 KiB messages at a steady pace, a window in flight at a time. */
async function publishBusy(port: number, stop: Stop, index: number, targetBytes: number) {
  const publisher = await stompClient(port, `busy-publisher-${index}`);
  const body = Buffer.alloc(BUSY_BODY_BYTES, 0x42);
  const started = Date.now();
  let sent = 0;
  let batch = 0;
  let ended = '';
  while (running(stop) && sent * BUSY_BODY_BYTES < targetBytes && !publisher.isClosed) {
    batch++;
    for (let i = 1; i < BUSY_WINDOW; i++) {
      publisher.send('SEND', { destination: '/topic/busy' }, body);
    }
    const receipt = `busy-${batch}`;
    publisher.send('SEND', { destination: '/topic/busy', receipt }, body);
    sent += BUSY_WINDOW;
    try {
      await publisher.expectReceipt(receipt, 10_000);
    } catch (err) {
      ended = (err as Error).message.replace(/\s+/g, ' ').slice(0, 300);
      break;
    }
    publisher.inbox.length = 0;
    const due = started + ((sent * BUSY_BODY_BYTES) / BUSY_BYTES_PER_SECOND) * 1000;
    if (due > Date.now()) await delay(due - Date.now());
  }
  if (ended === '' && publisher.isClosed) ended = 'closed by the broker';
  return { sentBytes: sent * BUSY_BODY_BYTES, messages: sent, ended: ended || 'target or time' };
}

async function publishBusyAll(port: number, stop: Stop) {
  const results = await Promise.all(
    Array.from({ length: BUSY_PUBLISHERS }, (_, i) =>
      publishBusy(port, stop, i, BUSY_TARGET_BYTES / BUSY_PUBLISHERS),
    ),
  );
  return {
    sentBytes: results.reduce((sum, r) => sum + r.sentBytes, 0),
    messages: results.reduce((sum, r) => sum + r.messages, 0),
    ended: results.map((r) => r.ended).join(' | '),
  };
}

describe.skipIf(process.platform !== 'linux')('hostile neighbours', () => {
  let broker: BrokerChild;

  beforeAll(async () => {
    broker = await startBrokerProcess();
  }, 30_000);

  afterAll(async () => {
    for (const c of clients) c.destroy();
    for (const s of sockets) s.destroy();
    if (broker?.alive()) {
      const exited = new Promise((resolve) => broker.child.once('exit', resolve));
      broker.child.kill('SIGKILL');
      await exited;
    }
  }, 30_000);

  it('a well-behaved client is unaffected and broker memory stays bounded', async () => {
    const port = broker.port;

    // The well-behaved pair, warmed up before the neighbours arrive.
    const subscriber = await stompClient(port, 'well-behaved-subscriber');
    const publisher = await stompClient(port, 'well-behaved-publisher');
    await subscriber.subscribe('/queue/well-behaved', 'wb');
    for (let i = 0; i < 20; i++) await publisher.publish('/queue/well-behaved', `warm-${i}`);
    await subscriber.messages(20);
    await delay(500);
    const baseline = Math.max(rssOf(broker.pid), rssOf(broker.pid));

    // The neighbours.
    const stop: Stop = { stopped: false, deadline: Date.now() + HOSTILE_PHASE_MAX_MS };
    const idle = await openIdleHorde(port);
    const slow = await stompClient(port, 'slow-consumer');
    await slow.subscribe('/topic/busy', 'busy');
    slow.socket.pause(); // never reads again
    const garbage = floodGarbage(port, stop);
    let busyDone = false;
    const busy = publishBusyAll(port, stop).finally(() => {
      busyDone = true;
    });

    let peak = baseline;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssOf(broker.pid));
      } catch {
        // the process is gone: reported below
      }
    }, 100);

    // Meanwhile: a message every INTERVAL ms while the busy topic is flooded, each stamped
    // with its send time.
    const latencies: number[] = [];
    const received = new Set<number>();
    const onFrame = () => {
      for (const f of subscriber.inbox.splice(0)) {
        if (f.command !== 'MESSAGE') continue;
        const [seq, sentAt] = f.bodyText.split(':').map(Number);
        if (!received.has(seq!)) {
          received.add(seq!);
          latencies.push(Date.now() - sentAt!);
        }
      }
    };
    subscriber.socket.on('data', () => setImmediate(onFrame));
    let sent = 0;
    try {
      while ((sent < MIN_MESSAGES || !busyDone) && sent < MAX_MESSAGES && !publisher.isClosed) {
        publisher.send('SEND', { destination: '/queue/well-behaved' }, `${sent}:${Date.now()}`);
        sent++;
        await delay(INTERVAL_MS);
      }
      const deadline = Date.now() + 5_000;
      while (received.size < sent && Date.now() < deadline && !subscriber.isClosed) {
        await delay(20);
        onFrame();
      }
    } finally {
      stop.stopped = true;
      clearInterval(sampler);
    }
    const [garbageStats, busyStats] = await Promise.all([garbage, busy]);
    const brokerAlive = broker.alive();
    const end = brokerAlive ? rssOf(broker.pid) : Number.NaN;
    const growth = peak - baseline;
    const sorted = [...latencies].sort((a, b) => a - b);
    const p99 = percentile(sorted, 99);

    const summary = [
      `well-behaved: ${received.size}/${sent} messages, p50 ${percentile(sorted, 50)} ms, ` +
        `p99 ${p99} ms, max ${sorted.at(-1)} ms`,
      `broker RSS: baseline ${MiB(baseline)}, peak ${MiB(peak)} (+${MiB(growth)}), end ${MiB(end)}; ` +
        `limit +${MiB(RSS_GROWTH_LIMIT)}`,
      `idle horde: ${idle.horde.length} open (${idle.failed} failed), ` +
        `${idle.horde.filter((s) => !s.destroyed).length} still open at the end`,
      `garbage: ${garbageStats.connections} connections, ${MiB(garbageStats.bytes)} sent ` +
        `in ${garbageStats.ms} ms, ${garbageStats.refused} refused`,
      `busy topic: ${busyStats.messages} messages, ${MiB(busyStats.sentBytes)} published ` +
        `(target ${MiB(BUSY_TARGET_BYTES)}), ended: ${busyStats.ended}; ` +
        `slow consumer closed by broker: ${slow.isClosed}`,
      `broker alive: ${brokerAlive}`,
    ].join('\n  ');
    process.stdout.write(`hostile neighbours:\n  ${summary}\n`);
    if (process.env.HOSTILE_DEBUG) process.stdout.write(`broker output:\n${broker.output()}\n`);

    expect(brokerAlive, `broker process died:\n${broker.output()}`).toBe(true);
    expect(subscriber.isClosed || publisher.isClosed, 'well-behaved client was disconnected').toBe(
      false,
    );
    expect(received.size, `all ${sent} well-behaved messages arrive\n  ${summary}`).toBe(sent);
    expect(p99, `p99 latency under ${P99_LATENCY_LIMIT_MS} ms\n  ${summary}`).toBeLessThan(
      P99_LATENCY_LIMIT_MS,
    );
    expect(growth, `broker RSS growth under the bound\n  ${summary}`).toBeLessThan(
      RSS_GROWTH_LIMIT,
    );

    // And it still serves a newcomer.
    const newcomer = await stompClient(port, 'newcomer');
    await newcomer.subscribe('/queue/newcomer', 'n');
    await newcomer.publish('/queue/newcomer', 'hello');
    expect((await newcomer.message()).bodyText).toBe('hello');
  }, 90_000);
});
