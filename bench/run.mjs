#!/usr/bin/env node
import os from 'node:os';
/**
 * Stompede benchmark orchestrator: `npm run bench [-- --quick] [--scenario NAME]... [--target URL]`.
 * See bench/README.md. The broker under test (and each baseline relay) runs in
 * its own process; the load generator runs in separate worker processes; this
 * process only coordinates, relays progress counts and prints results.
 * Each scenario lives in bench/scenarios/ (cluster in bench/cluster.mjs), the
 * shared runner and reporting in bench/lib/.
 */
import { scenarioCluster } from './cluster.mjs';
import { log, opts, Q } from './lib/options.mjs';
import { GENERATOR_CPUS, killAll, SERVER_CPUS, startServer, TASKSET } from './lib/processes.mjs';
import { addRow, printTable, round, withDeadline } from './lib/report.mjs';
import { T } from './lib/servers.mjs';
import { scenarioFanout } from './scenarios/fanout.mjs';
import { scenarioIdle } from './scenarios/idle.mjs';
import { scenarioLatency } from './scenarios/latency.mjs';
import { scenarioQueue } from './scenarios/queue.mjs';
import { scenarioStartup } from './scenarios/startup.mjs';

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
