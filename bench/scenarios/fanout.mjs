/** fanout: one publisher to N topic subscribers (1, 100, 1000), broker vs the uWS relay. */
import { runLoad } from '../lib/load.mjs';
import { log, opts, Q } from '../lib/options.mjs';
import { addRow, failureOf, fmt2, fmtInt, repeated, round, spread } from '../lib/report.mjs';
import { BODY, brokerServer, PEERS, relayServer, T, wsTarget } from '../lib/servers.mjs';

export function fanoutPlan(n) {
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

export async function measureFanout(
  n,
  server,
  target,
  workers,
  destination = '/topic/bench-fanout',
) {
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

export async function scenarioFanout() {
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
