#!/usr/bin/env node
/**
 * One load-generator process (forked by run.mjs). Holds a shard of the
 * subscriber/consumer connections and, in worker 0, the publishers. Talks to
 * the orchestrator over IPC:
 *
 *   parent -> {cmd:'setup', ...}   open + CONNECT (+ SUBSCRIBE with receipt)  -> {type:'ready'}
 *   parent -> {cmd:'start', plan}  publishers run the plan (window or rate)   -> progress / warm-done / pub-done
 *   parent -> {cmd:'progress'}     other shards' delivery counts (publisher flow control)
 *   parent -> {cmd:'mark'}         start of the measured window (CPU baseline)
 *   parent -> {cmd:'stop'}         -> {type:'result', ...}
 *   parent -> {cmd:'close'}        close everything and exit
 *
 * Clocks: process.hrtime is CLOCK_MONOTONIC, shared by every process on the
 * machine, so send stamps and first/last delivery times compare across
 * processes.
 */
import { readFileSync } from 'node:fs';
import { Conn, counters, SendTemplate } from './lib/client.mjs';
import { Histogram } from './lib/histogram.mjs';

const hrNs = () => Number(process.hrtime.bigint());
const send = (msg) => process.send?.(msg);

const subs = [];
const pubs = [];
let shard = 0;

// ── setup ──────────────────────────────────────────────────────────────

async function pool(count, concurrency, fn) {
  let next = 0;
  let firstError = null;
  let failures = 0;
  async function lane() {
    while (next < count) {
      const i = next++;
      try {
        await fn(i);
      } catch (err) {
        failures++;
        firstError ??= err;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { failures, firstError };
}

function subscribeFrame(i, s) {
  let f = `SUBSCRIBE\nid:${s.idPrefix}${i}\ndestination:${s.destination}\nack:${s.ack}\n`;
  if (s.prefetch) f += `activemq.prefetchSize:${s.prefetch}\nprefetch-count:${s.prefetch}\n`;
  return `${f}receipt:${s.idPrefix}r${i}\n\n\0`;
}

async function setup(msg) {
  const t0 = performance.now();
  shard = msg.shard;
  const { target, auth, sourceAddrs, perAddr, concurrency, timeoutMs } = msg;
  let index = msg.connIndexBase ?? 0;
  const localAddressFor = () => {
    if (!sourceAddrs || sourceAddrs.length === 0) return undefined;
    const k = Math.floor(index++ / perAddr);
    return sourceAddrs[Math.min(k, sourceAddrs.length - 1)];
  };
  const openOne = async (mode) => {
    const conn = new Conn({ ...target, localAddress: localAddressFor(), mode });
    await conn.open(timeoutMs);
    await conn.stompConnect({ ...auth, timeoutMs });
    return conn;
  };
  let failures = 0;
  let firstError = null;
  if (msg.pubs && msg.pubs.count > 0) {
    const r = await pool(msg.pubs.count, 4, async () => {
      const conn = await openOne('count');
      pubs.push({
        conn,
        template: new SendTemplate(conn, {
          destination: msg.pubs.destination,
          bodySize: msg.pubs.bodySize,
          headers: msg.pubs.headers ?? {},
          copies: msg.pubs.burst ?? 64,
          stampable: msg.pubs.stampable ?? false,
        }),
      });
    });
    failures += r.failures;
    firstError ??= r.firstError;
  }
  if (msg.subs && msg.subs.count > 0) {
    const s = msg.subs;
    const r = await pool(s.count, concurrency, async (i) => {
      const conn = await openOne(s.mode);
      const gi = (s.idBase ?? 0) + i;
      await conn.sendWithReceipt(subscribeFrame(gi, s), `${s.idPrefix}r${gi}`, timeoutMs);
      subs.push(conn);
    });
    failures += r.failures;
    firstError ??= r.firstError;
  }
  send({
    type: 'ready',
    subs: subs.length,
    pubs: pubs.length,
    failures,
    error: firstError ? String(firstError.message ?? firstError) : null,
    setupMs: performance.now() - t0,
    errors: counters.errors,
    errorText: counters.errorText,
    rss: process.memoryUsage().rss,
  });
}

// ── the run ────────────────────────────────────────────────────────────

let plan = null;
/** Latest delivery counts of the other shards (relayed by the parent). */
const remote = new Map();
let progressTimer = null;
let lastReported = -1;
let cpuMark = null;
let hrMark = 0;
const hist = new Histogram();
let measuredDeliveries = 0;

function startProgressReports(everyMs) {
  progressTimer = setInterval(() => {
    if (counters.delivered !== lastReported) {
      lastReported = counters.delivered;
      send({
        type: 'progress',
        shard,
        received: counters.delivered,
        lastNs: counters.lastDeliveryNs,
      });
    }
  }, everyMs);
}

function mark() {
  cpuMark = process.cpuUsage();
  hrMark = hrNs();
}

/** Messages "done" so far, as the publisher's flow control sees them. */
function progressMessages() {
  if (plan.progressKind === 'queue') {
    let total = counters.delivered;
    for (const v of remote.values()) total += v;
    return total;
  }
  // fanout: slowest shard's average deliveries per subscriber.
  let min =
    subs.length > 0 ? Math.floor(counters.delivered / subs.length) : Number.POSITIVE_INFINITY;
  for (const [s, v] of remote) {
    const n = plan.shardSubs[s];
    if (n > 0) min = Math.min(min, Math.floor(v / n));
  }
  return min;
}

// Window mode (saturation with a bounded number of undelivered messages in flight).
const pub = {
  total: 0,
  sent: 0,
  phase: 'idle',
  rr: 0,
  t0Ns: 0,
  deadline: 0,
  warmDeadline: 0,
  scheduled: false,
  timer: null,
  warmComplete: true,
};

function schedulePump() {
  if (pub.scheduled || (pub.phase !== 'warm' && pub.phase !== 'measure')) return;
  pub.scheduled = true;
  setImmediate(pump);
}

function finishPub(timedOut) {
  if (pub.phase === 'done') return;
  const wasWarm = pub.phase === 'warm';
  pub.phase = 'done';
  clearInterval(pub.timer);
  send({
    type: 'pub-done',
    sent: pub.sent,
    measuredSent: wasWarm ? 0 : pub.sent - plan.warmMsgs,
    t0Ns: pub.t0Ns,
    tEndNs: hrNs(),
    timedOut,
    warmComplete: pub.warmComplete && !wasWarm,
  });
}

function pump() {
  pub.scheduled = false;
  if (pub.phase !== 'warm' && pub.phase !== 'measure') return;
  const nowMs = performance.now();
  if (nowMs > pub.deadline) {
    finishPub(true);
    return;
  }
  const done = progressMessages();
  if (pub.phase === 'warm' && pub.sent >= plan.warmMsgs) {
    if (done < plan.warmMsgs && nowMs < pub.warmDeadline) return;
    if (done < plan.warmMsgs) pub.warmComplete = false;
    pub.phase = 'measure';
    pub.t0Ns = hrNs();
    pub.deadline = nowMs + plan.capMs;
    mark();
    send({ type: 'warm-done', t0Ns: pub.t0Ns, warmComplete: pub.warmComplete });
  }
  const limit = pub.phase === 'warm' ? plan.warmMsgs : pub.total;
  let room = Math.min(plan.window - (pub.sent - done), limit - pub.sent);
  while (room > 0) {
    const p = pubs[pub.rr++ % pubs.length];
    if (p.conn.writableLength > 4 * 1024 * 1024) break; // the target reads slower than we write: wait
    const n = Math.min(room, p.template.copies, plan.burst);
    p.conn.write(p.template.bytes(n));
    pub.sent += n;
    room -= n;
  }
  if (pub.phase === 'measure' && pub.sent >= pub.total) finishPub(false);
}

function startWindow() {
  pub.total = plan.warmMsgs + plan.msgs;
  pub.phase = plan.warmMsgs > 0 ? 'warm' : 'measure';
  // Until warm-up completes the deadline is the warm-up's; then capMs from the start of measuring.
  pub.deadline = performance.now() + (plan.warmMsgs > 0 ? plan.warmCapMs : 0) + plan.capMs;
  pub.warmDeadline = performance.now() + plan.warmCapMs;
  if (pub.phase === 'measure') {
    pub.t0Ns = hrNs();
    mark();
    send({ type: 'warm-done', t0Ns: pub.t0Ns, warmComplete: true });
  }
  for (const p of pubs) p.conn.socket.on('drain', schedulePump);
  counters.onProgress = schedulePump;
  // Fallback tick: remote progress arrives by IPC; deadlines need checking when nothing arrives.
  pub.timer = setInterval(schedulePump, 1);
  if (process.env.BENCH_DEBUG) {
    const dbg = setInterval(() => {
      if (pub.phase === 'done') clearInterval(dbg);
      process.stderr.write(
        `[w${shard}] t=${Math.round(performance.now())} phase=${pub.phase} sent=${pub.sent} done=${progressMessages()} delivered=${counters.delivered} pubBuf=${pubs[0].conn.writableLength}\n`,
      );
    }, 200);
  }
  schedulePump();
}

// Rate mode (latency at a fixed publish rate).
const lag = new Histogram();
function startRate() {
  const periodMs = 1000 / plan.rateHz;
  const warmCount = Math.round((plan.warmMs / 1000) * plan.rateHz);
  const measureCount = Math.round((plan.durationMs / 1000) * plan.rateHz);
  const startMs = performance.now() + 20;
  let i = 0;
  let measuredSent = 0;
  pub.phase = 'rate';
  const tick = () => {
    if (i >= warmCount + measureCount) {
      pub.phase = 'done';
      send({
        type: 'pub-done',
        sent: i,
        measuredSent,
        t0Ns: pub.t0Ns,
        tEndNs: hrNs(),
        timedOut: false,
        warmComplete: true,
      });
      return;
    }
    const measured = i >= warmCount;
    if (measured && measuredSent === 0) {
      pub.t0Ns = hrNs();
      mark();
      send({ type: 'warm-done', t0Ns: pub.t0Ns, warmComplete: true });
    }
    const p = pubs[i % pubs.length];
    const intended = startMs + i * periodMs;
    const now = performance.now();
    if (measured) lag.record((now - intended) * 1000);
    p.conn.write(p.template.stamped(hrNs(), measured));
    i++;
    if (measured) measuredSent++;
    const next = startMs + i * periodMs;
    setTimeout(tick, Math.max(0, next - performance.now()));
  };
  setTimeout(tick, Math.max(0, startMs - performance.now()));
}

// Latency mode: where each published message's burst of deliveries spends its time in this process.
//
// At a fixed rate every publish fans out to all subscribers at once, and the
// last subscriber's latency is how long the burst takes to drain. This
// process reads its share of the burst one socket at a time, so the drain
// can be its own doing. Per burst: the spread from its first to its last
// receive here, and, from /proc (Linux), how long this process ran on a CPU
// and how long it was runnable but waited for one, from the burst's first
// receive to the next burst's first receive (the process does next to
// nothing else between bursts). Spread ≈ CPU: the generator's own reading is
// the limit. A large wait: the machine is short of cores. Neither: it waited
// for the server's bytes.
const burstSpread = new Histogram();
const burstCpu = new Histogram();
const burstWait = new Histogram();
const burst = { sendNs: -1, measured: false, firstNs: 0, lastNs: 0, cpuNs: -1, waitNs: 0 };

/** [ns on a CPU, ns runnable but waiting] of this process's main thread; null where /proc lacks it. */
function schedstat() {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ');
    return [Number(run), Number(wait)];
  } catch {
    return null;
  }
}

function onBurstDelivery(sendNs, measured, nowNs) {
  if (sendNs === burst.sendNs) {
    burst.lastNs = nowNs;
    return;
  }
  if (sendNs < burst.sendNs) return; // a straggler of an earlier burst
  const sched = schedstat();
  if (burst.measured && burst.cpuNs >= 0 && sched !== null) {
    burstSpread.record((burst.lastNs - burst.firstNs) / 1000);
    burstCpu.record((sched[0] - burst.cpuNs) / 1000);
    burstWait.record((sched[1] - burst.waitNs) / 1000);
  }
  burst.sendNs = sendNs;
  burst.measured = measured;
  burst.firstNs = nowNs;
  burst.lastNs = nowNs;
  burst.cpuNs = sched === null ? -1 : sched[0];
  burst.waitNs = sched === null ? 0 : sched[1];
}

function start(msg) {
  plan = msg.plan;
  if (plan.latency) {
    counters.onLatency = (sendNs, measured) => {
      const now = hrNs();
      onBurstDelivery(sendNs, measured, now);
      if (!measured) return;
      measuredDeliveries++;
      hist.record((now - sendNs) / 1000);
    };
  }
  startProgressReports(plan.progressEveryMs ?? 5);
  if (pubs.length === 0) return;
  if (plan.kind === 'window') startWindow();
  else if (plan.kind === 'rate') startRate();
}

function result() {
  clearInterval(progressTimer);
  const cpu = cpuMark ? process.cpuUsage(cpuMark) : null;
  const windowMs = hrMark ? (hrNs() - hrMark) / 1e6 : 0;
  send({
    type: 'result',
    shard,
    delivered: counters.delivered,
    measuredDeliveries,
    firstDeliveryNs: counters.firstDeliveryNs,
    lastDeliveryNs: counters.lastDeliveryNs,
    errors: counters.errors,
    errorText: counters.errorText,
    unexpectedCloses: counters.unexpectedCloses,
    acksSent: counters.acksSent,
    cpuMs: cpu ? (cpu.user + cpu.system) / 1000 : null,
    sysMs: cpu ? cpu.system / 1000 : null,
    windowMs,
    hist: plan?.latency ? hist.toSparse() : null,
    bursts: plan?.latency
      ? { spread: burstSpread.toSparse(), cpu: burstCpu.toSparse(), wait: burstWait.toSparse() }
      : null,
    lagUs:
      plan?.kind === 'rate' && pubs.length > 0 ? { p99: lag.quantile(0.99), max: lag.max } : null,
    rss: process.memoryUsage().rss,
  });
}

process.on('message', (msg) => {
  switch (msg.cmd) {
    case 'setup':
      setup(msg).catch((err) => send({ type: 'fatal', error: String(err?.stack ?? err) }));
      break;
    case 'start':
      start(msg);
      break;
    case 'progress':
      remote.set(msg.shard, msg.received);
      if (pub.phase === 'warm' || pub.phase === 'measure') schedulePump();
      break;
    case 'mark':
      if (!cpuMark) mark();
      break;
    case 'stop':
      if (pub.phase === 'warm' || pub.phase === 'measure') finishPub(true);
      result();
      break;
    case 'close':
      for (const c of subs) c.close();
      for (const p of pubs) p.conn.close();
      send({ type: 'closed' });
      setTimeout(() => process.exit(0), 50);
      break;
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'hello', pid: process.pid });
