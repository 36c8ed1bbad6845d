/** idle: memory per idle connection with one subscription, broker vs relay. */
import { runLoad } from '../lib/load.mjs';
import { log, opts, sleep } from '../lib/options.mjs';
import { fdLimits, IDLE_CONNS, stopWorkers } from '../lib/processes.mjs';
import { addRow, fmt2, fmtInt, round } from '../lib/report.mjs';
import { brokerServer, PEERS, relayServer, T, wsTarget } from '../lib/servers.mjs';

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
