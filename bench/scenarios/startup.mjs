/** startup: spawn to listening, empty and with a full store. */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { HERE, log, Q } from '../lib/options.mjs';
import { startServer, track } from '../lib/processes.mjs';
import { addRow, fmt2, fmtInt, round } from '../lib/report.mjs';
import { PEERS, T } from '../lib/servers.mjs';

export async function scenarioStartup() {
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
export async function startupFullStore() {
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
