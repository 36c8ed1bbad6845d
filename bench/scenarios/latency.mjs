/** latency: publish-to-receive latency at a fixed rate to 1000 subscribers, broker vs relay. */
import { runLoad } from '../lib/load.mjs';
import { log, opts, Q } from '../lib/options.mjs';
import { addRow, burstSummary, failureOf, fmt2, logBursts, logRun, round } from '../lib/report.mjs';
import { BODY, brokerServer, PEERS, relayServer, T, wsTarget } from '../lib/servers.mjs';

/**
 * Generator processes for the latency scenario. One process reading all 1000
 * sockets needs ~12.5 ms of CPU per burst, more than the uWS relay needs to
 * write it (~7 ms), so the last subscriber's latency was the generator's
 * drain time. Two processes read half each, in parallel; at 20,000
 * deliveries/s the extra generator CPU is affordable even on 2 cores. Same
 * generator for the relay and the broker.
 */
export function latencyWorkers() {
  return opts.workersGiven ? opts.workers : Math.max(2, opts.workers);
}

export async function scenarioLatency() {
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
