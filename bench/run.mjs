#!/usr/bin/env node
/**
 * Stompede benchmark orchestrator: `npm run bench [-- --quick] [--scenario NAME]... [--target URL]`.
 * See bench/README.md. The broker under test (and each baseline relay) runs in
 * its own process; the load generator runs in separate worker processes; this
 * process only coordinates, relays progress counts and prints results.
 */
import { execFileSync, fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenarioCluster } from './cluster.mjs';
import { Histogram } from './lib/histogram.mjs';
import { LISTENING_TAG } from './lib/server-child.mjs';
import { parseTarget } from './lib/target.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const SCENARIOS = ['fanout', 'latency', 'queue', 'idle', 'startup', 'cluster'];
const hrNs = () => Number(process.hrtime.bigint());
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log('#', ...a);

// ── command line ───────────────────────────────────────────────────────

function usage(code) {
  console.log(`Usage: npm run bench -- [options]
  --scenario NAME    ${SCENARIOS.join(' | ')} (repeatable; default: all)
  --quick            small counts, whole run < 60 s (a smoke test)
  --target URL       run the scenarios against another STOMP broker on this machine:
                     stomp://127.0.0.1:61613 or ws://127.0.0.1:15674/ws (loopback only)
  --target-pid PID   with --target: sample that process's CPU and RSS from /proc
  --login USER --passcode PASS --vhost HOST   CONNECT credentials / host header for --target
  --workers N        generator processes for the 1000-subscriber runs (default: CPUs-1, 1..4;
                     the latency scenario uses at least 2 unless this is given)
  --pin              pin the server to CPU 0 and the generator to the other CPUs (taskset)
  --help`);
  process.exit(code);
}

function parseArgs(argv) {
  const opts = {
    scenarios: [],
    quick: false,
    target: null,
    targetPid: null,
    workers: Math.max(1, Math.min(4, os.cpus().length - 1)),
    workersGiven: false,
    auth: {},
    pin: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) {
        console.error(`${a} needs a value`);
        usage(2);
      }
      return v;
    };
    if (a === '--scenario') {
      const s = value();
      if (!SCENARIOS.includes(s)) {
        console.error(`unknown scenario '${s}' (known: ${SCENARIOS.join(', ')})`);
        process.exit(2);
      }
      opts.scenarios.push(s);
    } else if (a === '--quick') opts.quick = true;
    else if (a === '--target') {
      try {
        opts.target = parseTarget(value());
      } catch (err) {
        console.error(`bench: ${err.message}`);
        process.exit(2);
      }
    } else if (a === '--target-pid') opts.targetPid = Number(value());
    else if (a === '--login') opts.auth.login = value();
    else if (a === '--passcode') opts.auth.passcode = value();
    else if (a === '--vhost') opts.auth.vhost = value();
    else if (a === '--workers') {
      opts.workers = Math.max(1, Number(value()) | 0);
      opts.workersGiven = true;
    } else if (a === '--pin') opts.pin = true;
    else if (a === '--help' || a === '-h') usage(0);
    else {
      console.error(`unknown option ${a}`);
      usage(2);
    }
  }
  if (opts.scenarios.length === 0) opts.scenarios = [...SCENARIOS];
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const Q = opts.quick;

// ── file descriptors: the idle scenario holds N sockets in the generator and N in the server ──

function fdLimits() {
  try {
    const soft = execFileSync('sh', ['-c', 'ulimit -Sn'], { encoding: 'utf8' }).trim();
    const hard = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    const n = (s) => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s));
    return { soft: n(soft), hard: n(hard) };
  } catch {
    return { soft: Number.NaN, hard: Number.NaN };
  }
}

const IDLE_CONNS = Q ? 1000 : 10_000;
const FD_NEEDED = IDLE_CONNS + 2000;
{
  const { soft, hard } = fdLimits();
  if (soft < FD_NEEDED && hard >= FD_NEEDED && !process.env.STOMPEDE_BENCH_REEXEC) {
    // Children inherit the limit: re-run ourselves under a raised soft limit.
    const child = spawn(
      'sh',
      [
        '-c',
        `ulimit -n ${hard === Number.POSITIVE_INFINITY ? 1048576 : hard} && exec "$0" "$@"`,
        process.execPath,
        ...process.argv.slice(1),
      ],
      { stdio: 'inherit', env: { ...process.env, STOMPEDE_BENCH_REEXEC: '1' } },
    );
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
    // Let the child handle ^C itself.
    process.on('SIGINT', () => {});
    await new Promise(() => {});
  }
  if (soft < FD_NEEDED) {
    log(
      `NOTE: open-file limit is ${soft} (hard ${hard}); the idle scenario needs ~${FD_NEEDED} per process. ` +
        `Raise it (ulimit -n ${FD_NEEDED}) or the idle figure will be cut short.`,
    );
  }
}

// ── optional CPU pinning (--pin): server on CPU 0, generator on the others ──
//
// Off by default: pinning confines a multi-threaded server (LMDB's writer
// thread, libuv's pool, a JVM, Erlang schedulers) to one core, which is not
// how the peers' figures were taken. With --pin, who saturates what is
// unambiguous (srv CPU tops out at 100%), at that cost.

const CPUS = os.cpus().length;
const TASKSET = (() => {
  if (!opts.pin || CPUS < 2) return null;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return 'taskset';
  } catch {
    return null;
  }
})();
const SERVER_CPUS = '0';
const GENERATOR_CPUS = CPUS === 2 ? '1' : `1-${CPUS - 1}`;

/** fork() options that run the child under taskset (fork keeps the IPC channel through the exec). */
function pinned(cpus, execArgv) {
  if (!TASKSET) return { execArgv };
  return { execPath: TASKSET, execArgv: ['-c', cpus, process.execPath, ...execArgv] };
}

// ── child processes ────────────────────────────────────────────────────

const children = new Set();
/** Set while a scenario that overran its hard deadline is being torn down: everything refuses to start. */
let aborted = false;
function track(child) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
function killAll() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {}
  }
}
process.on('exit', killAll);
process.on('SIGINT', () => {
  killAll();
  process.exit(130);
});

/** IPC request/response with {id}. */
function rpcFor(child) {
  let next = 1;
  const waiting = new Map();
  child.on('message', (m) => {
    if (m && m.id !== undefined && waiting.has(m.id)) {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      w(m);
    }
  });
  return (cmd, extra = {}, timeoutMs = 10_000) =>
    new Promise((resolve, reject) => {
      if (!child.connected) {
        reject(new Error('child is gone'));
        return;
      }
      const id = next++;
      const t = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`no reply to ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, (m) => {
        clearTimeout(t);
        resolve(m);
      });
      child.send({ id, cmd, ...extra });
    });
}

/**
 * BENCH_CPU_PROF=DIR: run the broker under test with `node --cpu-prof`, one
 * .cpuprofile per broker process in DIR (written when it exits normally, i.e.
 * after the orchestrator's `close`). Relays and generators are not profiled.
 * BENCH_BROKER_NODE_ARGS='--flag …': extra node flags for the broker process
 * only (e.g. to try V8 heap settings).
 */
function profileArgs(script) {
  if (script !== 'broker-process.mjs') return [];
  const extra = process.env.BENCH_BROKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? [...extra, '--cpu-prof', '--cpu-prof-dir', dir] : extra;
}

/**
 * Fork a server process (broker or relay) and wait for its BENCH-LISTENING
 * line. Resolves { info, rpc, close, spawnToListenMs } or { error: info }.
 */
function startServer(script, args = [], { timeoutMs = 15_000 } = {}) {
  return new Promise((resolve, reject) => {
    if (aborted) {
      reject(new Error('aborted'));
      return;
    }
    const t0 = hrNs();
    const child = track(
      fork(join(HERE, script), args, {
        ...pinned(SERVER_CPUS, ['--expose-gc', ...profileArgs(script)]),
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      }),
    );
    let out = '';
    let err = '';
    let done = false;
    const timer = setTimeout(
      () => finish(new Error(`${script} did not start within ${timeoutMs} ms: ${err.slice(-500)}`)),
      timeoutMs,
    );
    const finish = (error, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else resolve(value);
    };
    child.stderr.on('data', (d) => {
      err += d;
      if (err.length > 20_000) err = err.slice(-10_000);
    });
    child.stdout.on('data', (d) => {
      out += d;
      const at = out.indexOf(LISTENING_TAG);
      if (at === -1) return;
      const end = out.indexOf('\n', at);
      if (end === -1) return;
      const spawnToListenMs = (hrNs() - t0) / 1e6;
      const info = JSON.parse(out.slice(at + LISTENING_TAG.length, end));
      if (info.error) {
        child.kill('SIGKILL');
        finish(null, { error: info });
        return;
      }
      const rpc = rpcFor(child);
      const exited = new Promise((r) => child.once('exit', r));
      finish(null, {
        info,
        spawnToListenMs,
        rpc,
        pid: child.pid,
        stats: async () => {
          const s = await rpc('stats');
          return {
            cpuUs: s.cpu.user + s.cpu.system,
            sysUs: s.cpu.system,
            hrNs: Number(s.hrNs),
            mem: s.mem,
            storeStats: s.storeStats,
            brokerStats: s.brokerStats,
          };
        },
        gcMem: async () => (await rpc('gc-mem', {}, 30_000)).mem,
        stderr: () => err,
        close: async () => {
          try {
            await rpc('close', {}, 5000);
          } catch {}
          await Promise.race([exited, sleep(3000)]);
          child.kill('SIGKILL');
        },
      });
    });
    child.on('exit', (code) =>
      finish(new Error(`${script} exited (${code}) before listening: ${err.slice(-800)}`)),
    );
  });
}

/** The external broker of --target, seen through /proc when --target-pid is given. */
function externalServer() {
  const pid = opts.targetPid;
  const ticks = (() => {
    try {
      return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      return 100;
    }
  })();
  const readProc = () => {
    if (!pid) return null;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuUs = ((Number(f[11]) + Number(f[12])) / ticks) * 1e6;
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
      return { cpuUs, rss };
    } catch {
      return null;
    }
  };
  return {
    external: true,
    stats: async () => {
      const p = readProc();
      return {
        cpuUs: p ? p.cpuUs : Number.NaN,
        hrNs: hrNs(),
        mem: { rss: p ? p.rss : Number.NaN },
      };
    },
    gcMem: async () => ({ rss: readProc()?.rss ?? Number.NaN }),
    close: async () => {},
  };
}

/** Fork one generator worker and wait for its hello. */
function startWorker() {
  if (aborted) return Promise.reject(new Error('aborted'));
  const child = track(
    fork(join(HERE, 'gen-worker.mjs'), [], {
      // BENCH_GEN_CPU_PROF=DIR: profile the generator workers too (is the generator the limit?).
      ...pinned(
        GENERATOR_CPUS,
        process.env.BENCH_GEN_CPU_PROF
          ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_GEN_CPU_PROF]
          : [],
      ),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('generator worker did not start')), 10_000);
    child.once('message', (m) => {
      clearTimeout(t);
      if (m.type === 'hello') resolve(child);
      else reject(new Error(`unexpected first message from worker: ${JSON.stringify(m)}`));
    });
    child.once('exit', (code) => reject(new Error(`generator worker exited (${code})`)));
  });
}

async function stopWorkers(workers) {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise((resolve) => {
          if (!w.connected) return resolve();
          const t = setTimeout(() => {
            w.kill('SIGKILL');
            resolve();
          }, 3000);
          w.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          w.send({ cmd: 'close' });
        }),
    ),
  );
}

// ── source addresses: a fresh 127.x address per batch so ephemeral ports (and TIME_WAIT) never run out ──

let nextSource = 2;
const PER_SOURCE = 20_000;
function sourceAddresses(conns, target) {
  if (!target.host.startsWith('127.')) return []; // ::1 has no siblings; use the default
  const n = Math.max(1, Math.ceil(conns / PER_SOURCE));
  const out = [];
  for (let i = 0; i < n; i++) {
    const k = nextSource++;
    out.push(`127.0.${Math.floor(k / 250) % 250}.${(k % 250) + 2}`);
  }
  return out;
}

// ── machine-wide CPU: other jobs on the box distort every figure; measure them ──

function machineSample() {
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
function machineBusyPct(a, b) {
  const dt = b.total - a.total;
  return dt > 0 ? (100 * CPUS * (b.busy - a.busy)) / dt : Number.NaN;
}

/** This orchestrator's own CPU over the window, in % of one core. */
function machineCpuOf(a, b) {
  return (100 * (b.self - a.self)) / 1000 / ((b.hrNs - a.hrNs) / 1e6);
}

// ── one load run ───────────────────────────────────────────────────────

/**
 * Run one measurement: fork workers, connect, run the plan, collect.
 * `perMsg`: deliveries expected per published message (N for fan-out, 1 for a queue).
 */
async function runLoad({
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

// ── results ────────────────────────────────────────────────────────────

const rows = [];
const fmtInt = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
const fmtPct = (v) => (Number.isFinite(v) ? `${Math.round(v)}%` : '—');
const fmt2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : '—');
const round = (v, d = 0) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : null);

/** Problems that make a throughput figure meaningless: printed instead of it. */
function failureOf(r) {
  if (!r) return 'no result';
  if (r.error) return r.error;
  if (r.measuredSent === 0 && r.timedOut)
    return 'no measurement: warm-up did not complete within the time cap';
  if (r.errors > 0) return `broker ERROR: ${r.errorText}`;
  if (r.unexpectedCloses > 0) return `${r.unexpectedCloses} connections closed by the server`;
  if (r.rate !== undefined && !Number.isFinite(r.rate))
    return 'no measurement (no deliveries timed)';
  if (r.deliveredRatio < 0.999)
    return `DROPPED: delivered ${r.delivered} of ${r.expected} (${(100 * r.deliveredRatio).toFixed(2)}%)`;
  return null;
}

function addRow(row) {
  rows.push(row);
  console.log(JSON.stringify(row.json));
}

/** Wrap a scenario with a hard deadline: whatever hangs, the run goes on. */
async function withDeadline(name, ms, fn) {
  let timer;
  const started = Date.now();
  const running = fn();
  try {
    await Promise.race([
      running,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`hard deadline of ${ms / 1000} s exceeded`)), ms);
      }),
    ]);
  } catch (err) {
    log(`scenario ${name} FAILED: ${err.message}`);
    addRow({
      figure: `${name}: failed`,
      value: `FAILED: ${err.message}`.slice(0, 120),
      json: { scenario: name, error: err.message },
    });
    // Stop the overrunning scenario: kill its processes, let it unwind (bounded), then go on.
    aborted = true;
    killAll();
    await Promise.race([running.catch(() => {}), sleep(15_000)]);
    killAll();
    aborted = false;
  } finally {
    clearTimeout(timer);
  }
  log(`scenario ${name} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// ── scenarios ──────────────────────────────────────────────────────────

const T = opts.target;
const BODY = 128;

async function brokerServer(overrides) {
  if (T) return { server: externalServer(), target: T };
  const s = await startServer('broker-process.mjs', [JSON.stringify(overrides)]);
  if (s.error) return { skipped: s.error };
  const wsTransport = s.info.wsTransport;
  return { server: s, tcp: s.info.tcp, ws: s.info.ws, wsTransport };
}

async function relayServer(script) {
  const s = await startServer(script);
  if (s.error) throw new Error(`${script}: ${s.error.message}`);
  return s;
}

const wsTarget = (addr) => ({ kind: 'ws', host: addr.host, port: addr.port, path: '/stomp' });
const tcpTarget = (addr) => ({ kind: 'tcp', host: addr.host, port: addr.port, path: '' });

function fanoutPlan(n) {
  const deliveries = Q ? 300_000 : 2_000_000;
  const msgs = Math.ceil(deliveries / n);
  const window = Math.max(4, Math.ceil(Number(process.env.BENCH_WINDOW_DELIVERIES ?? 20_000) / n));
  return {
    kind: 'window',
    progressKind: 'fanout',
    // About a second of warm-up at the broker's pace: JIT, buffers, TCP windows.
    warmMsgs: Math.max(10, Math.ceil(Math.min(msgs / 10, 100_000 / n))),
    msgs,
    window,
    burst: Math.min(64, window),
    capMs: Q ? 1500 : 3000,
    warmCapMs: Q ? 1500 : 3000,
  };
}

async function measureFanout(n, server, target, workers, destination = '/topic/bench-fanout') {
  return runLoad({
    server,
    target,
    workers,
    subs: { count: n, destination, ack: 'auto', mode: 'count', idPrefix: 's' },
    pubs: { count: 1, destination, bodySize: BODY, burst: 64 },
    plan: fanoutPlan(n),
    perMsg: n,
    graceMs: Q ? 2000 : 4000,
  });
}

const PEERS = {
  fanout1000: 'RabbitMQ 24k · ActiveMQ 56k · uWS relay 250k',
  latency: 'RabbitMQ 90 · ActiveMQ 32 · relay 13 ms',
  queueNp: 'RabbitMQ 17.0k · ActiveMQ 39k',
  queueP: 'RabbitMQ 14.6k · ActiveMQ 27k',
  idle: 'RabbitMQ 140 · relay 0.2 KiB',
  startup: '',
};

/** Run `fn` `reps` times (each with fresh processes); the median run by `key`, plus every run's value. */
async function repeated(reps, label, fn, key = (r) => r.rate) {
  const runs = [];
  for (let i = 0; i < reps; i++) {
    let r;
    try {
      r = await fn();
    } catch (err) {
      r = { error: err.message };
    }
    logRun(`${label}${reps > 1 ? ` #${i + 1}` : ''}`, r);
    // A failed repetition fails the figure: a median must not hide errors or drops.
    if (failureOf(r)) return { ...r, runs: runs.map(key) };
    runs.push(r);
  }
  const sorted = [...runs].sort((a, b) => key(a) - key(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return { ...median, runs: runs.map(key) };
}

const spread = (r) =>
  r.runs && r.runs.length > 1
    ? ` (${r.runs.map((v) => `${Math.round(v / 1000)}k`).join('/')})`
    : '';

async function scenarioFanout() {
  const ns = process.env.BENCH_FANOUT_N
    ? process.env.BENCH_FANOUT_N.split(',').map(Number)
    : Q
      ? [1, 100]
      : [1, 100, 1000];
  const reps = Number(process.env.BENCH_REPS) || (Q ? 1 : 3);
  for (const n of ns) {
    const workers = n >= 1000 ? opts.workers : 1;
    const onServer = async (start) => {
      const srv = await start();
      try {
        if (srv.skipped) throw new Error(`${srv.skipped.name}: ${srv.skipped.message}`);
        return await measureFanout(n, srv.server, srv.target, workers);
      } finally {
        await srv.server.close();
      }
    };
    const relayOf = (script) => async () => {
      const r = await relayServer(script);
      return { server: r, target: wsTarget(r.info.ws) };
    };
    // Baseline: bare uWS relay, same N.
    log(`fanout N=${n}: uWS relay ×${reps} …`);
    const base = await repeated(reps, 'uWS relay', () =>
      onServer(relayOf('baseline-uws-relay.mjs')),
    );
    const transports = T ? [T.kind] : n === 100 ? ['uws', 'ws'] : ['uws'];
    for (const transport of transports) {
      let wsBase = null;
      if (transport === 'ws' && !T) {
        log(`fanout N=${n}: ws relay ×${reps} …`);
        wsBase = await repeated(reps, 'ws relay', () => onServer(relayOf('baseline-ws-relay.mjs')));
      }
      const what = T ? 'target' : `broker ${transport}`;
      log(`fanout N=${n}: ${what} ×${reps} …`);
      const r = await repeated(reps, what, () =>
        onServer(async () => {
          const b = await brokerServer({ wsTransport: transport === 'tcp' ? 'uws' : transport });
          if (b.skipped) return { ...b, server: { close: async () => {} } };
          if (!T && b.wsTransport !== transport)
            log(`NOTE: broker serves WebSocket with ${b.wsTransport}, not ${transport}`);
          return { server: b.server, target: T ?? wsTarget(b.ws) };
        }),
      );
      const fail = failureOf(r);
      const baseFail = failureOf(base);
      const ratio = !fail && !baseFail ? r.rate / base.rate : Number.NaN;
      const label = T ? `target(${T.kind})` : transport;
      addRow({
        figure: `fanout 1→${n} ${label} (deliveries/s)`,
        value: fail ?? `${fmtInt(r.rate)}${spread(r)}`,
        baseline: baseFail
          ? `relay: ${baseFail}`.slice(0, 60)
          : `${fmtInt(base.rate)}${spread(base)} uWS relay`,
        ratio: fmt2(ratio),
        target: n === 1000 ? '≥ 0.60 of relay' : '',
        peers: n === 1000 ? PEERS.fanout1000 : '',
        serverCpu: r.serverCpuPct,
        usPerMsg: r.serverUsPerDelivery,
        genCpu: r.generatorCpuPct,
        other: r.otherCpuPct,
        delivered: r.deliveredRatio,
        json: {
          scenario: 'fanout',
          subscribers: n,
          transport: label,
          deliveriesPerSec: fail ? null : round(r.rate),
          runs: r.runs?.map((v) => round(v)),
          baseline: 'uws-relay',
          baselineDeliveriesPerSec: baseFail ? null : round(base.rate),
          baselineRuns: base.runs?.map((v) => round(v)),
          baselineRatio: round(ratio, 3),
          ...(wsBase && !failureOf(wsBase)
            ? {
                wsRelayDeliveriesPerSec: round(wsBase.rate),
                wsRelayRatio: round(r.rate / wsBase.rate, 3),
              }
            : {}),
          deliveredRatio: round(r.deliveredRatio, 4),
          brokerCpuPct: round(r.serverCpuPct),
          brokerUsPerDelivery: round(r.serverUsPerDelivery, 3),
          baselineUsPerDelivery: round(base.serverUsPerDelivery, 3),
          brokerSysCpuPct: round(r.serverSysPct),
          generatorCpuPct: round(r.generatorCpuPct),
          otherCpuPct: round(r.otherCpuPct),
          generatorSysCpuPct: round(r.generatorSysPct),
          generatorWorkers: workers,
          baselineServerCpuPct: round(base.serverCpuPct),
          baselineGeneratorCpuPct: round(base.generatorCpuPct),
          error: fail ?? undefined,
        },
      });
    }
  }
}

function logRun(what, r) {
  if (r.error) {
    log(`  ${what}: ${r.error.startsWith('SKIPPED') ? '' : 'FAILED '}${r.error}`);
    return;
  }
  const extra =
    r.hist?.total > 0
      ? ` p50 ${(r.hist.quantile(0.5) / 1000).toFixed(2)} ms p99 ${(r.hist.quantile(0.99) / 1000).toFixed(2)} ms`
      : '';
  log(
    `  ${what}: ${fmtInt(r.rate)}/s over ${r.seconds?.toFixed(2)} s (${fmtInt(r.measured)} measured, delivered ${fmtInt(r.delivered)}/${fmtInt(r.expected)}` +
      `${r.timedOut ? ', time cap hit' : ''}${r.warmComplete === false ? ', warm-up incomplete' : ''}); server CPU ${fmtPct(r.serverCpuPct)} (sys ${fmtPct(r.serverSysPct)}, ${fmt2(r.serverUsPerDelivery)} µs/delivery), ` +
      `generator CPU ${fmtPct(r.generatorCpuPct)} (sys ${fmtPct(r.generatorSysPct)}) [${r.generatorCpuPerWorker?.map((v) => fmtPct(v)).join(' ')}], ` +
      `other ${fmtPct(r.otherCpuPct)}${extra}` +
      `${r.errors ? `; ERRORS ${r.errors}: ${r.errorText}` : ''}${r.unexpectedCloses ? `; closes ${r.unexpectedCloses}` : ''}`,
  );
}

/**
 * Per published message (a burst of deliveries to every subscriber), in each
 * generator process: p50 and p99 over bursts, in ms, of the spread from its
 * first to its last receive, of the process's CPU time, and of its time
 * runnable but waiting for a CPU (gen-worker.mjs, onBurstDelivery).
 */
function burstSummary(r) {
  const b = r?.bursts;
  if (!b) return null;
  const ms = (h, p) => round(h.quantile(p) / 1000, 2);
  return {
    bursts: b.spread.total,
    spreadMs: { p50: ms(b.spread, 0.5), p99: ms(b.spread, 0.99) },
    cpuMs: { p50: ms(b.cpu, 0.5), p99: ms(b.cpu, 0.99) },
    waitForCpuMs: { p50: ms(b.wait, 0.5), p99: ms(b.wait, 0.99) },
  };
}

function logBursts(r) {
  const s = burstSummary(r);
  if (!s) return;
  log(
    `    per burst in each generator process (p50/p99 of ${s.bursts}): receive spread ${s.spreadMs.p50}/${s.spreadMs.p99} ms, ` +
      `on CPU ${s.cpuMs.p50}/${s.cpuMs.p99} ms, waiting for a CPU ${s.waitForCpuMs.p50}/${s.waitForCpuMs.p99} ms`,
  );
}

/**
 * Generator processes for the latency scenario. One process reading all 1000
 * sockets needs ~12.5 ms of CPU per burst, more than the uWS relay needs to
 * write it (~7 ms), so the last subscriber's latency was the generator's
 * drain time. Two processes read half each, in parallel; at 20,000
 * deliveries/s the extra generator CPU is affordable even on 2 cores. Same
 * generator for the relay and the broker.
 */
function latencyWorkers() {
  return opts.workersGiven ? opts.workers : Math.max(2, opts.workers);
}

async function scenarioLatency() {
  const n = 1000;
  const rateHz = 20;
  const plan = {
    kind: 'rate',
    progressKind: 'fanout',
    latency: true,
    rateHz,
    warmMs: Q ? 500 : 1000,
    durationMs: Q ? 3000 : 10_000,
  };
  const measure = (server, target) =>
    runLoad({
      server,
      target,
      workers: latencyWorkers(),
      subs: {
        count: n,
        destination: '/topic/bench-latency',
        ack: 'auto',
        mode: 'latency',
        idPrefix: 'l',
      },
      pubs: {
        count: 1,
        destination: '/topic/bench-latency',
        bodySize: BODY,
        burst: 1,
        stampable: true,
      },
      plan,
      perMsg: n,
      graceMs: 3000,
    });
  log(`latency ${rateHz * n}/s to ${n} subscribers: uWS relay …`);
  const relay = await relayServer('baseline-uws-relay.mjs');
  let base;
  try {
    base = await measure(relay, wsTarget(relay.info.ws));
  } catch (err) {
    base = { error: err.message };
  } finally {
    await relay.close();
  }
  logRun('uWS relay', base);
  logBursts(base);
  log(`latency: ${T ? 'target' : 'broker (uws)'} …`);
  const b = await brokerServer({ wsTransport: 'uws' });
  let r;
  try {
    r = await measure(b.server, T ?? wsTarget(b.ws));
  } catch (err) {
    r = { error: err.message };
  } finally {
    await b.server.close();
  }
  logRun(T ? 'target' : 'broker', r);
  logBursts(r);
  const q = (res, p) => (res.hist?.total > 0 ? res.hist.quantile(p) / 1000 : Number.NaN);
  const fail = failureOf(r);
  const baseFail = failureOf(base);
  for (const [name, p] of [
    ['p50', 0.5],
    ['p99', 0.99],
    ['p99.9', 0.999],
  ]) {
    const v = q(r, p);
    const bv = q(base, p);
    addRow({
      figure: `latency ${name} @${rateHz * n}/s, ${n} subs (ms)`,
      value: fail ?? fmt2(v),
      baseline: baseFail ? `relay: ${baseFail}`.slice(0, 60) : `${fmt2(bv)} uWS relay`,
      ratio: fmt2(v / bv),
      target: name === 'p99' ? '≤ 20 ms' : '',
      peers: name === 'p99' ? PEERS.latency : '',
      serverCpu: r.serverCpuPct,
      usPerMsg: r.serverUsPerDelivery,
      genCpu: r.generatorCpuPct,
      other: r.otherCpuPct,
      delivered: r.deliveredRatio,
      json: {
        scenario: 'latency',
        percentile: name,
        subscribers: n,
        deliveriesPerSecTarget: rateHz * n,
        transport: T ? `target(${T.kind})` : 'uws',
        ms: fail ? null : round(v, 3),
        baselineMs: baseFail ? null : round(bv, 3),
        baselineRatio: round(v / bv, 3),
        samples: r.hist?.total ?? 0,
        maxMs: r.hist ? round(r.hist.max / 1000, 3) : null,
        deliveredRatio: round(r.deliveredRatio, 4),
        brokerCpuPct: round(r.serverCpuPct),
        generatorCpuPct: round(r.generatorCpuPct),
        otherCpuPct: round(r.otherCpuPct),
        publisherLagP99Ms: r.lagUs ? round(r.lagUs.p99 / 1000, 3) : null,
        generatorWorkers: latencyWorkers(),
        generatorBurst: burstSummary(r),
        baselineGeneratorBurst: burstSummary(base),
        error: fail ?? undefined,
      },
    });
  }
}

function queuePlan() {
  const msgs = Q ? 200_000 : 1_500_000;
  return {
    kind: 'window',
    progressKind: 'queue',
    warmMsgs: Math.min(Math.ceil(msgs / 10), 20_000),
    msgs,
    window: Number(process.env.BENCH_QUEUE_WINDOW ?? 8000),
    burst: 32,
    capMs: Q ? 1500 : 4000,
    warmCapMs: Q ? 1500 : 3000,
  };
}

async function measureQueue(server, target, { persistent = false, relay = false } = {}) {
  const destination = `/queue/bench-${process.pid}-${Date.now().toString(36)}`;
  const headers = {};
  if (persistent) headers.persistent = 'true';
  // The relay forwards SEND frames unchanged: give them an ack header to echo.
  if (relay) headers.ack = 'relay';
  return runLoad({
    server,
    target,
    workers: 1,
    subs: {
      count: 4,
      destination,
      ack: 'client-individual',
      prefetch: 1000,
      mode: 'ack',
      idPrefix: 'q',
    },
    pubs: { count: 4, destination, bodySize: BODY, burst: 32, headers },
    plan: queuePlan(),
    perMsg: 1,
    graceMs: Q ? 3000 : 5000,
  });
}

async function scenarioQueue() {
  const reps = Number(process.env.BENCH_REPS) || (Q ? 1 : 3);
  log(`queue 4→1→4 client-individual: bare TCP relay ×${reps} …`);
  const base = await repeated(reps, 'TCP relay', async () => {
    const relay = await relayServer('baseline-tcp-relay.mjs');
    try {
      return await measureQueue(relay, tcpTarget(relay.info.tcp), { relay: true });
    } finally {
      await relay.close();
    }
  });
  const baseFail = failureOf(base);
  let nonPersistent = null;
  for (const persistent of [false, true]) {
    const kind = persistent ? 'persistent' : 'non-persistent';
    let skipped = null;
    log(`queue ${kind}: ${T ? 'target' : 'broker'} ×${reps} …`);
    const r = await repeated(reps, T ? `target ${kind}` : `broker ${kind}`, async () => {
      let dataDir = null;
      let b;
      if (persistent && !T) {
        dataDir = mkdtempSync(join(os.tmpdir(), 'stompede-bench-'));
        b = await brokerServer({ store: 'lmdb', dataDir });
      } else b = await brokerServer({ store: 'memory' });
      try {
        if (b.skipped) {
          skipped = b.skipped;
          return { error: `SKIPPED: ${b.skipped.name}: ${b.skipped.message}` };
        }
        return await measureQueue(b.server, T ?? tcpTarget(b.tcp), { persistent });
      } finally {
        await b.server?.close();
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    });
    if (skipped) {
      const why = `${skipped.name}: ${skipped.message}`;
      log(`queue ${kind}: SKIPPED — the broker refuses store 'lmdb' (${why})`);
      addRow({
        figure: `queue 4→4 ${kind} (msgs/s)`,
        value: 'SKIPPED (store lmdb unavailable)',
        target: persistent ? '≥ 50,000' : '≥ 80,000',
        peers: persistent ? PEERS.queueP : PEERS.queueNp,
        json: { scenario: 'queue', persistent, skipped: why },
      });
      continue;
    }
    const fail = failureOf(r);
    if (!persistent && !fail) nonPersistent = r;
    // Persistent is compared with non-persistent on the same broker (the cost of durability);
    // non-persistent with the relay (the cost of queue semantics and acks).
    const ref = persistent ? nonPersistent : baseFail ? null : base;
    const ratio = !fail && ref ? r.rate / ref.rate : Number.NaN;
    addRow({
      figure: `queue 4→4 ${kind}${T ? ` target(${T.kind})` : ''} (msgs/s)`,
      value: fail ?? `${fmtInt(r.rate)}${spread(r)}`,
      baseline: persistent
        ? ref
          ? `${fmtInt(ref.rate)} non-persistent`
          : '—'
        : baseFail
          ? `relay: ${baseFail}`.slice(0, 60)
          : `${fmtInt(base.rate)}${spread(base)} TCP relay`,
      ratio: fmt2(ratio),
      target: persistent ? '≥ 50,000' : '≥ 80,000',
      peers: persistent ? PEERS.queueP : PEERS.queueNp,
      serverCpu: r.serverCpuPct,
      usPerMsg: r.serverUsPerDelivery,
      genCpu: r.generatorCpuPct,
      other: r.otherCpuPct,
      delivered: r.deliveredRatio,
      json: {
        scenario: 'queue',
        producers: 4,
        consumers: 4,
        ack: 'client-individual',
        prefetch: 1000,
        persistent,
        store: T ? undefined : persistent ? 'lmdb' : 'memory',
        transport: T ? `target(${T.kind})` : 'tcp',
        msgsPerSec: fail ? null : round(r.rate),
        runs: r.runs?.map((v) => round(v)),
        baseline: persistent ? 'broker-non-persistent' : 'tcp-relay',
        baselineMsgsPerSec: ref ? round(ref.rate) : null,
        baselineRatio: round(ratio, 3),
        deliveredRatio: round(r.deliveredRatio, 4),
        brokerCpuPct: round(r.serverCpuPct),
        brokerSysCpuPct: round(r.serverSysPct),
        brokerUsPerMsg: round(r.serverUsPerDelivery, 3),
        generatorCpuPct: round(r.generatorCpuPct),
        otherCpuPct: round(r.otherCpuPct),
        storeStats: r.storeStats ?? null,
        storeCommitsPerSec: round(r.storeCommitsPerSec ?? Number.NaN),
        storeWritesPerSec: round(r.storeWritesPerSec ?? Number.NaN),
        error: fail ?? undefined,
      },
    });
  }
}

async function idleOn(server, target, n) {
  const conns = async (count, prefix) => {
    const k = count >= 5000 ? 2 : 1;
    const res = await runLoad({
      server,
      target,
      workers: k,
      subs: {
        count,
        destination: '/topic/bench-idle',
        ack: 'auto',
        mode: 'count',
        idPrefix: prefix,
      },
      pubs: null,
      plan: null,
      perMsg: 0,
      setupTimeoutMs: 120_000,
    });
    return res;
  };
  // Warm the code paths with a few connections that stay open, then sample.
  const warm = await conns(200, 'w');
  await sleep(300);
  const m0 = await server.gcMem();
  const t0 = Date.now();
  let main;
  try {
    main = await conns(n, 'i');
  } catch (err) {
    await stopWorkers(warm.workers);
    throw err;
  }
  const setupSecs = (Date.now() - t0) / 1000;
  await sleep(500);
  const m1 = await server.gcMem();
  await stopWorkers([...main.workers, ...warm.workers]);
  return {
    perConnKiB: (m1.rss - m0.rss) / n / 1024,
    heapPerConnKiB: Number.isFinite(m1.heapUsed)
      ? (m1.heapUsed - m0.heapUsed) / n / 1024
      : Number.NaN,
    externalPerConnKiB: Number.isFinite(m1.external)
      ? (m1.external - m0.external) / n / 1024
      : Number.NaN,
    rssBefore: m0.rss,
    rssAfter: m1.rss,
    setupSecs,
    connectRate: n / setupSecs,
  };
}

async function scenarioIdle() {
  const n = IDLE_CONNS;
  const { soft } = fdLimits();
  if (soft < n + 500)
    log(
      `NOTE: open-file limit ${soft} is below ${n + 500}; expect connection failures (ulimit -n ${n + 2000}).`,
    );
  log(`idle: ${fmtInt(n)} WebSocket connections, CONNECT + SUBSCRIBE each: uWS relay …`);
  const relay = await relayServer('baseline-uws-relay.mjs');
  let base;
  try {
    base = await idleOn(relay, wsTarget(relay.info.ws), n);
  } catch (err) {
    base = { error: err.message };
  } finally {
    await relay.close();
  }
  log(
    `  uWS relay: ${base.error ?? `${fmt2(base.perConnKiB)} KiB/conn RSS (${fmtInt(base.connectRate)} conn/s)`}`,
  );
  if (T && T.kind !== 'ws') {
    log('idle: skipped for a stomp:// target (the scenario is about WebSocket connections)');
    return;
  }
  if (T && !opts.targetPid) {
    log('idle: skipped for --target without --target-pid (cannot see the target process memory)');
    addRow({
      figure: 'idle conn memory',
      value: 'SKIPPED (needs --target-pid)',
      json: { scenario: 'idle', skipped: 'needs --target-pid' },
    });
    return;
  }
  log(`idle: ${T ? 'target' : 'broker (uws)'} …`);
  const b = await brokerServer({ wsTransport: 'uws' });
  let r;
  try {
    r = await idleOn(b.server, T ?? wsTarget(b.ws), n);
  } catch (err) {
    r = { error: err.message };
  } finally {
    await b.server.close();
  }
  log(
    `  ${T ? 'target' : 'broker'}: ${r.error ?? `${fmt2(r.perConnKiB)} KiB/conn RSS, heap ${fmt2(r.heapPerConnKiB)} KiB/conn (${fmtInt(r.connectRate)} conn/s)`}`,
  );
  const ratio = r.perConnKiB / base.perConnKiB;
  addRow({
    figure: `idle WS conn + 1 sub @${fmtInt(n)} (KiB/conn)`,
    value: r.error ? `FAILED: ${r.error}`.slice(0, 100) : fmt2(r.perConnKiB),
    baseline: base.error
      ? `relay: ${base.error}`.slice(0, 60)
      : `${fmt2(base.perConnKiB)} uWS relay`,
    ratio: fmt2(ratio),
    target: '≤ 4 KiB',
    peers: PEERS.idle,
    json: {
      scenario: 'idle',
      connections: n,
      transport: T ? `target(${T.kind})` : 'uws',
      kibPerConnection: r.error ? null : round(r.perConnKiB, 3),
      heapKibPerConnection: round(r.heapPerConnKiB, 3),
      externalKibPerConnection: round(r.externalPerConnKiB, 3),
      baselineKibPerConnection: base.error ? null : round(base.perConnKiB, 3),
      baselineRatio: round(ratio, 2),
      gcForced: !T,
      connectsPerSec: round(r.connectRate),
      error: r.error,
    },
  });
}

async function scenarioStartup() {
  if (T) {
    log('startup: skipped with --target');
    return;
  }
  const runs = 5;
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const floor = [];
  for (let i = 0; i < runs; i++) {
    const s = await startServer('lib/noop-child.mjs');
    floor.push(s.spawnToListenMs);
    await s.close();
  }
  const f = median(floor);
  log(`  node floor: ${floor.map((x) => x.toFixed(0)).join(' ')} ms`);
  for (const store of ['memory', 'lmdb']) {
    const total = [];
    const inProcess = [];
    let skipped = null;
    for (let i = 0; i < runs && !skipped; i++) {
      const dataDir = store === 'lmdb' ? mkdtempSync(join(os.tmpdir(), 'stompede-bench-')) : null;
      try {
        const s = await startServer('broker-process.mjs', [
          JSON.stringify(dataDir ? { store, dataDir } : { store }),
        ]);
        if (s.error) {
          skipped = s.error;
          break;
        }
        total.push(s.spawnToListenMs);
        inProcess.push(s.info.sinceProcessStartMs);
        await s.close();
      } finally {
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    }
    const figure = `startup, empty ${store} store (ms, median of ${runs})`;
    if (skipped) {
      log(`  startup ${store}: SKIPPED (${skipped.name}: ${skipped.message})`);
      addRow({
        figure,
        value: `SKIPPED (${skipped.name})`,
        target: '≤ 300 ms',
        json: { scenario: 'startup', store, skipped: `${skipped.name}: ${skipped.message}` },
      });
      continue;
    }
    const v = median(total);
    log(`  startup ${store}: spawn→listening ${total.map((x) => x.toFixed(0)).join(' ')} ms`);
    addRow({
      figure,
      value: fmt2(v),
      baseline: `${fmt2(f)} bare node`,
      ratio: fmt2(v / f),
      target: '≤ 300 ms',
      peers: PEERS.startup,
      json: {
        scenario: 'startup',
        store,
        spawnToListeningMs: round(v, 1),
        inProcessMs: round(median(inProcess), 1),
        baseline: 'node-noop',
        baselineMs: round(f, 1),
        baselineRatio: round(v / f, 2),
        runsMs: total.map((x) => round(x, 1)),
      },
    });
  }
  await startupFullStore();
}

/**
 * Start-up with a full store: N stored queue messages (default 1,000,000;
 * --quick 100,000; BENCH_STARTUP_MESSAGES overrides), written straight into a
 * fresh lmdb data directory by bench/lib/fill-store.mjs with the broker's own
 * store code, then spawn → listening, median of 3. Each run is stopped
 * cleanly (so the next one is a clean restart) and must have recovered all N.
 */
async function startupFullStore() {
  const n = Number(process.env.BENCH_STARTUP_MESSAGES) || (Q ? 100_000 : 1_000_000);
  const figure = `startup, ${fmtInt(n)} stored queue msgs (ms, median of 3)`;
  const dataDir = mkdtempSync(join(os.tmpdir(), 'stompede-bench-'));
  try {
    log(`  startup: filling an lmdb store with ${fmtInt(n)} queue messages …`);
    const t0 = Date.now();
    const fill = fork(join(HERE, 'lib', 'fill-store.mjs'), [dataDir, String(n)], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    track(fill);
    const code = await new Promise((resolve) => fill.once('exit', resolve));
    if (code !== 0) throw new Error(`fill-store exited with ${code}`);
    log(`  startup: filled in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const total = [];
    const inProcess = [];
    let recovered = null;
    let rss = null;
    for (let i = 0; i < 3; i++) {
      const s = await startServer(
        'broker-process.mjs',
        [JSON.stringify({ store: 'lmdb', dataDir })],
        { timeoutMs: 120_000 },
      );
      if (s.error) throw new Error(`${s.error.name}: ${s.error.message}`);
      total.push(s.spawnToListenMs);
      inProcess.push(s.info.sinceProcessStartMs);
      const stats = await s.rpc('stats');
      recovered = stats.startupQueue?.depth ?? null;
      rss = stats.mem?.rss ?? null;
      await s.close();
      if (recovered !== n) break;
    }
    const median = [...total].sort((a, b) => a - b)[Math.floor((total.length - 1) / 2)];
    log(
      `  startup ${fmtInt(n)} msgs: spawn→listening ${total.map((x) => x.toFixed(0)).join(' ')} ms, ` +
        `recovered ${recovered ?? '?'}, RSS ${rss ? `${(rss / 1048576).toFixed(0)} MiB` : '?'}`,
    );
    const lost = recovered !== n;
    addRow({
      figure,
      value: lost ? `LOST: recovered ${recovered ?? '?'} of ${n}` : fmt2(median),
      target: '≤ 2,000 ms',
      json: {
        scenario: 'startup',
        store: 'lmdb',
        storedMessages: n,
        recovered,
        spawnToListeningMs: lost ? null : round(median, 1),
        inProcessMs: round([...inProcess].sort((a, b) => a - b)[1] ?? inProcess[0], 1),
        runsMs: total.map((x) => round(x, 1)),
        rssMiB: rss ? round(rss / 1048576) : null,
        error: lost ? `recovered ${recovered} of ${n}` : undefined,
      },
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ── main ───────────────────────────────────────────────────────────────

function printTable() {
  const cols = [
    ['figure', 'figure'],
    ['value', 'value'],
    ['baseline', 'baseline (same run)'],
    ['ratio', 'ratio'],
    ['target', 'target'],
    ['peers', 'peers'],
    ['serverCpu', 'srv CPU'],
    ['usPerMsg', 'srv µs/msg'],
    ['genCpu', 'gen CPU'],
    ['other', 'other CPU'],
    ['delivered', 'delivered'],
  ];
  const cell = (row, key) => {
    const v = row[key];
    if (key === 'serverCpu' || key === 'genCpu' || key === 'other') return fmtPct(v);
    if (key === 'delivered') return Number.isFinite(v) ? v.toFixed(4) : '';
    if (key === 'usPerMsg') return Number.isFinite(v) ? v.toFixed(2) : '';
    return v === undefined || v === null ? '' : String(v);
  };
  const widths = cols.map(([k, h]) => Math.max(h.length, ...rows.map((r) => cell(r, k).length)));
  const line = (vals) =>
    vals
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log('');
  console.log(line(cols.map(([, h]) => h)));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map(([k]) => cell(r, k))));
  console.log('');
  console.log(
    `# ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}; srv CPU = broker/relay process, ` +
      'gen CPU = all generator workers (100% = one core), other CPU = the rest of the machine (other jobs, ' +
      'unattributed kernel time, this orchestrator), all over the measured window. Ratios: value / baseline.',
  );
  const disturbed = rows.filter((r) => Number.isFinite(r.other) && r.other > 20);
  if (disturbed.length > 0) {
    console.log(
      `# NOTE: ${disturbed.length} figure(s) ran while other work used > 20% of a core ` +
        `(${disturbed.map((r) => r.figure.split(' (')[0]).join('; ')}): rerun on a quiet machine.`,
    );
  }
}

const HARD = {
  fanout: Q ? 40_000 : 150_000,
  latency: Q ? 30_000 : 80_000,
  queue: Q ? 30_000 : 150_000,
  idle: Q ? 40_000 : 180_000,
  startup: Q ? 60_000 : 420_000,
  cluster: Q ? 60_000 : 120_000,
};
const FUNCS = {
  fanout: scenarioFanout,
  latency: scenarioLatency,
  queue: scenarioQueue,
  idle: scenarioIdle,
  startup: scenarioStartup,
  // bench/cluster.mjs: cross-node fan-out through Redis next to one node, same run.
  cluster: () =>
    T
      ? Promise.resolve(log('cluster: skipped for --target (it starts its own nodes and Redis)'))
      : scenarioCluster({ quick: Q, log, addRow, startServer, round }),
};

const started = Date.now();
log(
  `stompede bench${Q ? ' --quick' : ''}: ${opts.scenarios.join(', ')}${T ? ` against ${T.kind}://${T.host}:${T.port}${T.path}` : ''}; ` +
    `${os.cpus().length} CPUs, node ${process.version}` +
    `${TASKSET ? `; pinned: server CPU ${SERVER_CPUS}, generator CPU ${GENERATOR_CPUS}` : ''}`,
);
{
  const load1 = os.loadavg()[0];
  if (load1 > 0.5)
    log(
      `NOTE: load average ${load1.toFixed(2)} before starting: other work is running on this machine and will ` +
        'disturb the figures (see the other CPU column).',
    );
}
if (os.cpus().length <= 2)
  log(
    'NOTE: generator and broker share this machine; watch gen CPU + srv CPU against the core count.',
  );
for (const name of opts.scenarios) await withDeadline(name, HARD[name], FUNCS[name]);
printTable();
log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
killAll();
process.exit(0);
