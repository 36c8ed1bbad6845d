/** Results: rows, their JSON lines and the closing table; repeated runs and per-scenario deadlines. */
import os from 'node:os';
import { log, sleep } from './options.mjs';
import { killAll, setAborted } from './processes.mjs';

// ── results ────────────────────────────────────────────────────────────

export const rows = [];
export const fmtInt = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
export const fmtPct = (v) => (Number.isFinite(v) ? `${Math.round(v)}%` : '—');
export const fmt2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : '—');
export const round = (v, d = 0) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : null);

/** Problems that make a throughput figure meaningless: printed instead of it. */
export function failureOf(r) {
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

export function addRow(row) {
  rows.push(row);
  console.log(JSON.stringify(row.json));
}

/** Wrap a scenario with a hard deadline: whatever hangs, the run goes on. */
export async function withDeadline(name, ms, fn) {
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
    setAborted(true);
    killAll();
    await Promise.race([running.catch(() => {}), sleep(15_000)]);
    killAll();
    setAborted(false);
  } finally {
    clearTimeout(timer);
  }
  log(`scenario ${name} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Run `fn` `reps` times (each with fresh processes); the median run by `key`, plus every run's value. */
export async function repeated(reps, label, fn, key = (r) => r.rate) {
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

export const spread = (r) =>
  r.runs && r.runs.length > 1
    ? ` (${r.runs.map((v) => `${Math.round(v / 1000)}k`).join('/')})`
    : '';

export function logRun(what, r) {
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
export function burstSummary(r) {
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

export function logBursts(r) {
  const s = burstSummary(r);
  if (!s) return;
  log(
    `    per burst in each generator process (p50/p99 of ${s.bursts}): receive spread ${s.spreadMs.p50}/${s.spreadMs.p99} ms, ` +
      `on CPU ${s.cpuMs.p50}/${s.cpuMs.p99} ms, waiting for a CPU ${s.waitForCpuMs.p50}/${s.waitForCpuMs.p99} ms`,
  );
}

export function printTable() {
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
