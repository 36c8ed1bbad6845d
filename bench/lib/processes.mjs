/** The processes a bench run starts: the broker or relay under test, generator workers, CPU pinning, fd limits. */

import { execFileSync, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { HERE, hrNs, log, opts, Q, sleep } from './options.mjs';
import { LISTENING_TAG } from './server-child.mjs';

// ── file descriptors: the idle scenario holds N sockets in the generator and N in the server ──

export function fdLimits() {
  try {
    const soft = execFileSync('sh', ['-c', 'ulimit -Sn'], { encoding: 'utf8' }).trim();
    const hard = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    const n = (s) => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s));
    return { soft: n(soft), hard: n(hard) };
  } catch {
    return { soft: Number.NaN, hard: Number.NaN };
  }
}

export const IDLE_CONNS = Q ? 1000 : 10_000;
export const FD_NEEDED = IDLE_CONNS + 2000;
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

export const CPUS = os.cpus().length;
export const TASKSET = (() => {
  if (!opts.pin || CPUS < 2) return null;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return 'taskset';
  } catch {
    return null;
  }
})();
export const SERVER_CPUS = '0';
export const GENERATOR_CPUS = CPUS === 2 ? '1' : `1-${CPUS - 1}`;

/** fork() options that run the child under taskset (fork keeps the IPC channel through the exec). */
export function pinned(cpus, execArgv) {
  if (!TASKSET) return { execArgv };
  return { execPath: TASKSET, execArgv: ['-c', cpus, process.execPath, ...execArgv] };
}

// ── child processes ────────────────────────────────────────────────────

export const children = new Set();
/** Set while a scenario that overran its hard deadline is being torn down: everything refuses to start. */
export let aborted = false;
/** withDeadline (report.mjs) raises and lowers the flag around a teardown. */
export function setAborted(value) {
  aborted = value;
}
export function track(child) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
export function killAll() {
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
export function rpcFor(child) {
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
export function profileArgs(script) {
  if (script !== 'broker-process.mjs') return [];
  const extra = process.env.BENCH_BROKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? [...extra, '--cpu-prof', '--cpu-prof-dir', dir] : extra;
}

/**
 * Fork a server process (broker or relay) and wait for its BENCH-LISTENING
 * line. Resolves { info, rpc, close, spawnToListenMs } or { error: info }.
 */
export function startServer(script, args = [], { timeoutMs = 15_000 } = {}) {
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
export function externalServer() {
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
export function startWorker() {
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

export async function stopWorkers(workers) {
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

export let nextSource = 2;
export const PER_SOURCE = 20_000;
export function sourceAddresses(conns, target) {
  if (!target.host.startsWith('127.')) return []; // ::1 has no siblings; use the default
  const n = Math.max(1, Math.ceil(conns / PER_SOURCE));
  const out = [];
  for (let i = 0; i < n; i++) {
    const k = nextSource++;
    out.push(`127.0.${Math.floor(k / 250) % 250}.${(k % 250) + 2}`);
  }
  return out;
}
