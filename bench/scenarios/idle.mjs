/** idle: memory per idle connection with one subscription, broker vs relay. */
import { runLoad } from '../lib/load.mjs';
import { log, opts, sleep } from '../lib/options.mjs';
import { fdLimits, IDLE_CONNS, stopWorkers } from '../lib/processes.mjs';
import { addRow, fmt2, fmtInt, round } from '../lib/report.mjs';
import { brokerServer, PEERS, relayServer, T, wsTarget } from '../lib/servers.mjs';

/**
 * How long the server sits idle before each sample. A burst of connects
 * grows V8's young generation (new space, up to 2 × 16 MiB); V8 gives it
 * back at the first GC after its allocation rate has been low for a few
 * seconds (its throughput window is 5 s). An idle connection's cost is
 * what stays once that has happened, so both samples wait this long;
 * the figure 500 ms after the burst is reported too (`burst…` in the JSON).
 */
const IDLE_SETTLE_MS = Number(process.env.BENCH_IDLE_SETTLE_MS ?? 8000);

export async function idleOn(server, target, n) {
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
  // Warm the code paths with a few connections that stay open, then sample
  // once the server has settled (see IDLE_SETTLE_MS).
  const warm = await conns(200, 'w');
  await sleep(IDLE_SETTLE_MS);
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
  const burst = await server.gcMem();
  await sleep(IDLE_SETTLE_MS);
  const m1 = await server.gcMem();
  await stopWorkers([...main.workers, ...warm.workers]);
  const perConn = (before, after, key) =>
    Number.isFinite(after[key]) && Number.isFinite(before[key])
      ? (after[key] - before[key]) / n / 1024
      : Number.NaN;
  return {
    perConnKiB: perConn(m0, m1, 'rss'),
    heapPerConnKiB: perConn(m0, m1, 'heapUsed'),
    externalPerConnKiB: perConn(m0, m1, 'external'),
    newSpacePerConnKiB: perConn(m0, m1, 'newSpace'),
    burstPerConnKiB: perConn(m0, burst, 'rss'),
    burstNewSpacePerConnKiB: perConn(m0, burst, 'newSpace'),
    rssBefore: m0.rss,
    rssAfter: m1.rss,
    setupSecs,
    connectRate: n / setupSecs,
  };
}

export async function scenarioIdle() {
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
    `  uWS relay: ${base.error ?? `${fmt2(base.perConnKiB)} KiB/conn RSS settled, ${fmt2(base.burstPerConnKiB)} right after connecting (${fmtInt(base.connectRate)} conn/s)`}`,
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
    `  ${T ? 'target' : 'broker'}: ${r.error ?? `${fmt2(r.perConnKiB)} KiB/conn RSS settled, heap ${fmt2(r.heapPerConnKiB)} KiB/conn; ${fmt2(r.burstPerConnKiB)} KiB/conn RSS right after connecting, ${fmt2(r.burstNewSpacePerConnKiB)} of it V8 new space (${fmtInt(r.connectRate)} conn/s)`}`,
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
      newSpaceKibPerConnection: round(r.newSpacePerConnKiB, 3),
      burstKibPerConnection: r.error ? null : round(r.burstPerConnKiB, 3),
      burstNewSpaceKibPerConnection: round(r.burstNewSpacePerConnKiB, 3),
      settleMs: IDLE_SETTLE_MS,
      baselineKibPerConnection: base.error ? null : round(base.perConnKiB, 3),
      baselineBurstKibPerConnection: base.error ? null : round(base.burstPerConnKiB, 3),
      baselineRatio: round(ratio, 2),
      gcForced: !T,
      connectsPerSec: round(r.connectRate),
      error: r.error,
    },
  });
}
