/** One measured load run across the generator workers, with machine-wide CPU sampling. */

import { readFileSync } from 'node:fs';
import { Histogram } from './histogram.mjs';
import { hrNs, opts, sleep } from './options.mjs';
import {
  aborted,
  CPUS,
  PER_SOURCE,
  sourceAddresses,
  startWorker,
  stopWorkers,
} from './processes.mjs';

// ── machine-wide CPU: other jobs on the box distort every figure; measure them ──

export function machineSample() {
  let busy = 0;
  let total = 0;
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    busy = total - f[3] - f[4];
  } catch {
    return null;
  }
  const cpu = process.cpuUsage();
  return { busy, total, self: cpu.user + cpu.system, hrNs: hrNs() };
}

/** Busy time of the whole machine over the window, in % of one core. */
export function machineBusyPct(a, b) {
  const dt = b.total - a.total;
  return dt > 0 ? (100 * CPUS * (b.busy - a.busy)) / dt : Number.NaN;
}

/** This orchestrator's own CPU over the window, in % of one core. */
export function machineCpuOf(a, b) {
  return (100 * (b.self - a.self)) / 1000 / ((b.hrNs - a.hrNs) / 1e6);
}

// ── one load run ───────────────────────────────────────────────────────

/**
 * Run one measurement: fork workers, connect, run the plan, collect.
 * `perMsg`: deliveries expected per published message (N for fan-out, 1 for a queue).
 */
export async function runLoad({
  server,
  target,
  workers: workerCount,
  subs,
  pubs,
  plan,
  perMsg,
  graceMs,
  setupTimeoutMs = 60_000,
}) {
  const workers = await Promise.all(Array.from({ length: workerCount }, startWorker));
  const shardSubs = [];
  for (let w = 0; w < workerCount; w++) {
    shardSubs.push(Math.floor(subs.count / workerCount) + (w < subs.count % workerCount ? 1 : 0));
  }
  const totalConns = subs.count + (pubs?.count ?? 0);
  const sources = sourceAddresses(totalConns, target);
  const received = new Array(workerCount).fill(0);
  const events = { warm: null, pubDone: null, results: new Map(), ready: new Map(), fatal: null };
  const waiters = [];
  const notify = () => {
    const list = waiters.splice(0);
    for (const w of new Set(list)) w();
  };
  /** Resolve when cond() holds (checked on every worker message and every 50 ms), or at the deadline. */
  const until = (cond, ms) =>
    new Promise((resolve) => {
      const deadline = Date.now() + ms;
      let finished = false;
      const timer = setInterval(() => check(), 50);
      const check = () => {
        if (finished) return;
        if (cond() || Date.now() >= deadline || events.fatal || aborted) {
          finished = true;
          clearInterval(timer);
          resolve(cond());
        } else if (!waiters.includes(check)) waiters.push(check);
      };
      check();
    });
  let serverStart = null;
  let machineStart = null;
  workers.forEach((w, i) => {
    w.on('message', (m) => {
      switch (m.type) {
        case 'ready':
          events.ready.set(i, m);
          break;
        case 'fatal':
          events.fatal = m.error;
          break;
        case 'progress':
          received[i] = m.received;
          if (i !== 0 && workers[0].connected)
            workers[0].send({ cmd: 'progress', shard: i, received: m.received });
          break;
        case 'warm-done':
          events.warm = m;
          for (let j = 1; j < workers.length; j++) workers[j].send({ cmd: 'mark' });
          serverStart = server.stats().catch(() => null);
          machineStart = machineSample();
          break;
        case 'pub-done':
          events.pubDone = m;
          break;
        case 'result':
          events.results.set(i, m);
          break;
      }
      notify();
    });
    w.on('exit', () => {
      if (!events.results.has(i)) events.fatal ??= `generator worker ${i} exited early`;
      notify();
    });
  });
  const out = { setupFailures: 0 };
  let ok = false;
  try {
    let base = 0;
    workers.forEach((w, i) => {
      w.send({
        cmd: 'setup',
        shard: i,
        target,
        auth: opts.auth,
        sourceAddrs: sources,
        perAddr: PER_SOURCE,
        connIndexBase: base,
        concurrency: 128,
        timeoutMs: 15_000,
        subs: { ...subs, count: shardSubs[i], idBase: base },
        pubs: i === 0 ? pubs : null,
      });
      base += shardSubs[i] + (i === 0 ? (pubs?.count ?? 0) : 0);
    });
    await until(() => events.ready.size === workerCount, setupTimeoutMs);
    if (events.fatal) throw new Error(`generator failed: ${events.fatal}`);
    if (events.ready.size !== workerCount)
      throw new Error(`connection setup did not finish within ${setupTimeoutMs / 1000} s`);
    const ready = [...events.ready.values()];
    out.setupMs = Math.max(...ready.map((r) => r.setupMs));
    out.setupFailures = ready.reduce((a, r) => a + r.failures, 0);
    if (out.setupFailures > 0) {
      const e = ready.find((r) => r.error)?.error;
      throw new Error(`${out.setupFailures} of ${totalConns} connections failed to set up: ${e}`);
    }
    out.generatorRss = ready.reduce((a, r) => a + r.rss, 0);
    if (!plan) {
      ok = true;
      return { ...out, workers, ready };
    }

    for (const w of workers)
      w.send({ cmd: 'start', plan: { ...plan, shardSubs, progressEveryMs: 5 } });
    const capMs =
      (plan.warmCapMs ?? 0) +
      (plan.capMs ?? 0) +
      (plan.warmMs ?? 0) +
      (plan.durationMs ?? 0) +
      10_000;
    await until(() => events.pubDone !== null, capMs);
    if (events.fatal) throw new Error(`generator failed: ${events.fatal}`);
    if (!events.pubDone) throw new Error('publisher did not finish (hard deadline)');
    const expected = (plan.kind === 'rate' ? events.pubDone.sent : events.pubDone.sent) * perMsg;
    const total = () => received.reduce((a, b) => a + b, 0);
    await until(() => total() >= expected, graceMs);
    await sleep(15); // one more progress period so late counts are in
    const serverEnd = await server.stats().catch(() => null);
    const machineEnd = machineSample();
    const s0 = await serverStart;
    for (const w of workers) w.send({ cmd: 'stop' });
    await until(() => events.results.size === workerCount, 10_000);
    const results = [...events.results.values()];
    const delivered = results.reduce((a, r) => a + r.delivered, 0);
    const lastNs = Math.max(...results.map((r) => r.lastDeliveryNs));
    const t0Ns = events.pubDone.t0Ns || events.warm?.t0Ns;
    const warmDeliveries =
      (plan.kind === 'window' ? Math.min(plan.warmMsgs, events.pubDone.sent) : 0) * perMsg;
    const measured = delivered - warmDeliveries;
    const seconds = (lastNs - t0Ns) / 1e9;
    const genCpu = results.map((r) =>
      r.cpuMs !== null && r.windowMs > 0 ? (100 * r.cpuMs) / r.windowMs : Number.NaN,
    );
    out.generatorSysPct = results.reduce(
      (a, r) =>
        a + (r.sysMs !== null && r.windowMs > 0 ? (100 * r.sysMs) / r.windowMs : Number.NaN),
      0,
    );
    let serverCpuPct = Number.NaN;
    let serverCpuUs = Number.NaN;
    if (s0 && serverEnd && Number.isFinite(s0.cpuUs)) {
      serverCpuUs = serverEnd.cpuUs - s0.cpuUs;
      serverCpuPct =
        (100 * ((serverEnd.cpuUs - s0.cpuUs) / 1000)) / ((serverEnd.hrNs - s0.hrNs) / 1e6);
      const windowSecs = (serverEnd.hrNs - s0.hrNs) / 1e9;
      const a = s0.storeStats;
      const b = serverEnd.storeStats;
      if (a && b && Number.isFinite(a.commits) && Number.isFinite(b.commits)) {
        out.storeCommitsPerSec = (b.commits - a.commits) / windowSecs;
        out.storeWritesPerSec = Number.isFinite(b.writes)
          ? (b.writes - a.writes) / windowSecs
          : null;
      }
      out.serverSysPct =
        (100 * ((serverEnd.sysUs - s0.sysUs) / 1000)) / ((serverEnd.hrNs - s0.hrNs) / 1e6);
    }
    if (machineStart && machineEnd) {
      // Everything else on the machine (other jobs, the kernel's softirq time not
      // charged to a process, this orchestrator) over the same window, in % of one core.
      out.machineBusyPct = machineBusyPct(machineStart, machineEnd);
      out.orchestratorCpuPct = machineCpuOf(machineStart, machineEnd);
    }
    const hist = new Histogram();
    for (const r of results) if (r.hist) hist.mergeSparse(r.hist);
    // Latency mode: per burst and generator process (gen-worker.mjs, onBurstDelivery).
    const bursts = { spread: new Histogram(), cpu: new Histogram(), wait: new Histogram() };
    for (const r of results) {
      if (!r.bursts) continue;
      for (const k of Object.keys(bursts)) bursts[k].mergeSparse(r.bursts[k]);
    }
    if (Number.isFinite(out.machineBusyPct)) {
      out.otherCpuPct =
        out.machineBusyPct -
        (Number.isFinite(serverCpuPct) && !server.external ? serverCpuPct : 0) -
        genCpu.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0) -
        out.orchestratorCpuPct;
    }
    Object.assign(out, {
      sent: events.pubDone.sent,
      measuredSent: events.pubDone.measuredSent,
      timedOut: events.pubDone.timedOut,
      warmComplete: events.pubDone.warmComplete,
      expected,
      delivered,
      deliveredRatio: expected > 0 ? delivered / expected : Number.NaN,
      measured,
      seconds,
      rate: seconds > 0 ? measured / seconds : Number.NaN,
      errors: results.reduce((a, r) => a + r.errors, 0),
      errorText: results.find((r) => r.errorText)?.errorText ?? '',
      unexpectedCloses: results.reduce((a, r) => a + r.unexpectedCloses, 0),
      generatorCpuPct: genCpu.reduce((a, b) => a + b, 0),
      generatorCpuPerWorker: genCpu,
      serverCpuPct,
      // Server CPU time per delivery over the measured window (µs): far less
      // sensitive to other jobs on the machine than the wall-clock rate.
      serverUsPerDelivery: measured > 0 ? serverCpuUs / measured : Number.NaN,
      storeStats: serverEnd?.storeStats ?? null,
      serverRssEnd: serverEnd?.mem?.rss,
      hist,
      bursts: bursts.spread.total > 0 ? bursts : null,
      measuredDeliveries: results.reduce((a, r) => a + (r.measuredDeliveries ?? 0), 0),
      lagUs: results.find((r) => r.lagUs)?.lagUs ?? null,
    });
    return out;
  } finally {
    // Without a plan (idle scenario) the caller keeps the connections open and stops the workers itself.
    if (plan || !ok) await stopWorkers(workers);
  }
}
