/** queue: 4 producers to 4 competing consumers, non-persistent and persistent, broker vs the TCP relay. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runLoad } from '../lib/load.mjs';
import { log, Q } from '../lib/options.mjs';
import { addRow, failureOf, fmt2, fmtInt, repeated, round, spread } from '../lib/report.mjs';
import { BODY, brokerServer, PEERS, relayServer, T, tcpTarget } from '../lib/servers.mjs';

export function queuePlan() {
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

export async function measureQueue(server, target, { persistent = false, relay = false } = {}) {
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

export async function scenarioQueue() {
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
