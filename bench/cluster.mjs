/**
 * The `cluster` scenario: cross-node topic fan-out. One publisher on node A,
 * N subscribers spread round-robin over nodes A, B and C of a three-node
 * cluster (`cluster.url`, its own redis-server on a free loopback port),
 * next to the same load on one node without a cluster, in the same run.
 * Figures: deliveries/s at saturation (windowed), and publish → read
 * latency at a fixed rate.
 *
 * As a module it exports scenarioCluster(ctx) for run.mjs; run as
 * `node bench/cluster.mjs gen '<json>'` it is the load generator (its own
 * process, so the orchestrator stays idle), printing one result line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Histogram } from './lib/histogram.mjs';

const RESULT_TAG = 'CLUSTER-GEN ';
const BODY = 128;
const TOPIC = '/topic/bench-cluster';

// ── generator (child process) ──────────────────────────────────────────

const hrNs = () => process.hrtime.bigint();

/** A TCP STOMP connection that counts MESSAGE frames by their NUL and reads the latency stamp before it. */
function connect(port, onMessage) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    let pending = Buffer.alloc(0);
    let connected = false;
    const waiters = [];
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      const data = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let start = 0;
      for (;;) {
        const nul = data.indexOf(0, start);
        if (nul < 0) break;
        let first = start;
        while (data[first] === 0x0a || data[first] === 0x0d) first++;
        const kind = data[first];
        if (kind === 0x4d /* M */) onMessage(data, nul);
        else if (kind === 0x43 /* C */ && !connected) {
          connected = true;
          resolve(api);
        } else if (kind === 0x52 /* R */) waiters.shift()?.();
        else if (kind === 0x45 /* E */) {
          process.stderr.write(`ERROR frame: ${data.toString('utf8', first, nul)}\n`);
          process.exit(3);
        }
        start = nul + 1;
      }
      pending = start >= data.length ? Buffer.alloc(0) : data.subarray(start);
    });
    let receipt = 0;
    const api = {
      socket,
      write: (s) => socket.write(s),
      request(frame) {
        return new Promise((r) => {
          waiters.push(r);
          socket.write(frame.replace('\n\n', `\nreceipt:r${++receipt}\n\n`));
        });
      },
    };
    socket.on('connect', () =>
      socket.write('CONNECT\naccept-version:1.2\nhost:bench\nheart-beat:0,0\n\n\0'),
    );
  });
}

function sendFrame(stampNs) {
  const stamp = stampNs.toString(16).padStart(16, '0');
  const body = 'x'.repeat(BODY - 16) + stamp;
  return `SEND\ndestination:${TOPIC}\ncontent-length:${BODY}\n\n${body}\0`;
}

async function generate({ ports, subscribers, msgs, windowDeliveries, capMs, rate, latencyMs }) {
  let delivered = 0;
  const hist = new Histogram();
  let measuring = false;
  const onMessage = (data, nul) => {
    delivered++;
    if (measuring) {
      const stamp = BigInt(`0x${data.toString('latin1', nul - 16, nul)}`);
      hist.record(Number(hrNs() - stamp) / 1000);
    }
  };
  const subs = [];
  for (let i = 0; i < subscribers; i++) {
    const c = await connect(ports[i % ports.length], onMessage);
    await c.request(`SUBSCRIBE\ndestination:${TOPIC}\nid:s\nack:auto\n\n\0`);
    subs.push(c);
  }
  const pub = await connect(ports[0], () => {});
  // Every subscription is live on every node once a probe published on A reaches all of them.
  await pub.request(`SEND\ndestination:${TOPIC}\n\n${'p'.repeat(16)}\0`);
  const settle = Date.now() + 10_000;
  while (delivered < subscribers && Date.now() < settle) await new Promise((r) => setTimeout(r, 5));
  if (delivered < subscribers)
    throw new Error(`probe reached ${delivered}/${subscribers} subscribers`);

  // Throughput: keep at most windowDeliveries undelivered.
  delivered = 0;
  const expected = msgs * subscribers;
  let sent = 0;
  const t0 = hrNs();
  const deadline = Date.now() + capMs;
  const cpu0 = process.cpuUsage();
  while (delivered < expected && Date.now() < deadline) {
    let burst = 0;
    while (sent < msgs && sent * subscribers - delivered < windowDeliveries && burst < 64) {
      pub.write(sendFrame(hrNs()));
      sent++;
      burst++;
    }
    await new Promise((r) => setImmediate(r));
  }
  const seconds = Number(hrNs() - t0) / 1e9;
  const throughput = {
    deliveries: delivered,
    expected: sent * subscribers,
    seconds,
    rate: delivered / seconds,
  };
  // Drain what is still in flight before the latency phase.
  const drainBy = Date.now() + 5000;
  while (delivered < sent * subscribers && Date.now() < drainBy)
    await new Promise((r) => setTimeout(r, 5));
  // Loss, not speed: of everything sent, how much arrived once in-flight messages drained.
  throughput.deliveredFraction = delivered / Math.max(1, sent * subscribers);

  // Latency: a fixed rate, far below saturation.
  measuring = true;
  const interval = 1000 / rate;
  const end = Date.now() + latencyMs;
  let next = performance.now();
  while (Date.now() < end) {
    pub.write(sendFrame(hrNs()));
    next += interval;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await new Promise((r) => setTimeout(r, 500));
  measuring = false;
  const cpu = process.cpuUsage(cpu0);
  for (const c of [...subs, pub]) c.socket.destroy();
  return {
    throughput,
    latency: {
      samples: hist.total,
      p50Ms: hist.quantile(0.5) / 1000,
      p99Ms: hist.quantile(0.99) / 1000,
      p999Ms: hist.quantile(0.999) / 1000,
    },
    genCpuPct: ((cpu.user + cpu.system) / 1e6 / Math.max(seconds, 1e-9)) * 100,
  };
}

if (process.argv[2] === 'gen') {
  generate(JSON.parse(process.argv[3])).then(
    (result) => {
      process.stdout.write(`${RESULT_TAG}${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (err) => {
      process.stderr.write(`${err.stack ?? err}\n`);
      process.exit(2);
    },
  );
}

// ── redis-server for the run ───────────────────────────────────────────

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const dir = mkdtempSync(join(os.tmpdir(), 'stompede-bench-redis-'));
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop() {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ── the scenario (in the orchestrator) ─────────────────────────────────

function runGenerator(args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(import.meta.url), 'gen', JSON.stringify(args)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(RESULT_TAG));
      if (code === 0 && line) resolve(JSON.parse(line.slice(RESULT_TAG.length)));
      else reject(new Error(`generator failed (exit ${code}): ${err.slice(-400)}`));
    });
  });
}

/**
 * ctx: { quick, log, addRow, startServer, round } from run.mjs. Each
 * measurement starts fresh broker processes (and, for the cluster, a fresh
 * redis-server) and stops them after.
 */
export async function scenarioCluster({ quick, log, addRow, startServer, round }) {
  if (spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status !== 0) {
    log(
      'cluster: skipped, redis-server is not installed (scripts/ensure-system-deps.mjs installs it)',
    );
    addRow({
      figure: 'cluster: skipped',
      value: 'no redis-server',
      json: { scenario: 'cluster', skipped: 'no redis-server' },
    });
    return;
  }
  const subscribers = quick ? 30 : 99;
  const plan = {
    subscribers,
    msgs: Math.ceil((quick ? 150_000 : 600_000) / subscribers),
    windowDeliveries: 20_000,
    capMs: quick ? 3000 : 8000,
    // Well below saturation (about 2000 deliveries/s), so latency is not queueing.
    rate: Math.max(5, Math.round(2000 / subscribers)),
    latencyMs: quick ? 1500 : 5000,
  };
  const measure = async (label, clustered) => {
    const redis = clustered ? await startRedis() : null;
    const servers = [];
    try {
      for (let i = 0; i < (clustered ? 3 : 1); i++) {
        const overrides = { wsPort: null };
        if (redis) overrides.cluster = { url: redis.url, nodeId: `bench-${i + 1}` };
        const s = await startServer('broker-process.mjs', [JSON.stringify(overrides)]);
        if (s.error) throw new Error(`${label}: ${s.error.message}`);
        servers.push(s);
      }
      const before = await Promise.all(servers.map((s) => s.stats()));
      const result = await runGenerator(
        { ...plan, ports: servers.map((s) => s.info.tcp.port) },
        120_000,
      );
      const after = await Promise.all(servers.map((s) => s.stats()));
      const srvCpuPct = after.map(
        (a, i) => ((a.cpuUs - before[i].cpuUs) / 1e6 / result.throughput.seconds) * 100,
      );
      log(
        `cluster: ${label}: ${Math.round(result.throughput.rate).toLocaleString('en-US')} deliveries/s, ` +
          `p99 ${result.latency.p99Ms.toFixed(2)} ms at ${plan.rate} msg/s`,
      );
      return { ...result, srvCpuPct };
    } finally {
      for (const s of servers) await s.close();
      redis?.stop();
    }
  };
  const single = await measure('1 node, no cluster', false);
  const cluster = await measure('3 nodes (A,B,C) through Redis', true);
  const lossOf = (r) => r.throughput.deliveredFraction;
  for (const [name, r, base] of [
    ['1 node', single, null],
    ['3 nodes', cluster, single],
  ]) {
    addRow({
      figure: `cluster fan-out (${name}, 1 pub on A, ${subscribers} subs over ${name === '1 node' ? 'A' : 'A,B,C'})`,
      value: `${Math.round(r.throughput.rate).toLocaleString('en-US')}/s; p50 ${r.latency.p50Ms.toFixed(2)} p99 ${r.latency.p99Ms.toFixed(2)} ms`,
      baseline: base ? `${Math.round(base.throughput.rate).toLocaleString('en-US')}/s` : '',
      ratio: base ? round(r.throughput.rate / base.throughput.rate, 2) : '',
      serverCpu: r.srvCpuPct.reduce((a, b) => a + b, 0),
      genCpu: r.genCpuPct,
      delivered: lossOf(r),
      json: {
        scenario: 'cluster',
        nodes: name === '1 node' ? 1 : 3,
        subscribers,
        deliveriesPerSec: round(r.throughput.rate),
        latencyRateMsgsPerSec: plan.rate,
        p50Ms: round(r.latency.p50Ms, 3),
        p99Ms: round(r.latency.p99Ms, 3),
        p999Ms: round(r.latency.p999Ms, 3),
        serverCpuPct: r.srvCpuPct.map((v) => round(v)),
        genCpuPct: round(r.genCpuPct),
        baselineRatio: base ? round(r.throughput.rate / base.throughput.rate, 2) : null,
      },
    });
  }
}
