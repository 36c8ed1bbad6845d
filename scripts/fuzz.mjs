#!/usr/bin/env node
// Long fuzzing run: the property-based fuzzers of test/fuzz with far bigger budgets
// than the test suite gives them. Each property stops at its run count or its time
// budget, whichever comes first; the whole run is killed past a hard deadline.
//
//   npm run fuzz                          # defaults below
//   FUZZ_RUNS=20000 FUZZ_TIME_LIMIT_MS=600000 npm run fuzz
//   FUZZ_SEED=123 FUZZ_PATH="4:1:0" npm run fuzz -- -t 'mutated'   # replay a failure
//
// Extra arguments go to vitest (e.g. a test name filter with -t).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const env = {
  ...process.env,
  FUZZ_RUNS: process.env.FUZZ_RUNS || '5000',
  FUZZ_SESSION_RUNS: process.env.FUZZ_SESSION_RUNS || '1000',
  FUZZ_TIME_LIMIT_MS: process.env.FUZZ_TIME_LIMIT_MS || '120000',
  FUZZ_VERBOSE: '1',
};

// test/fuzz holds 9 properties in 3 files (files run in parallel); each may also spend up to its
// budget again shrinking a counterexample.
const PROPERTIES = 9;
const deadlineMs = Number(env.FUZZ_TIME_LIMIT_MS) * PROPERTIES * 2 + 120_000;

process.stdout.write(
  `fuzz: FUZZ_RUNS=${env.FUZZ_RUNS} FUZZ_SESSION_RUNS=${env.FUZZ_SESSION_RUNS} ` +
    `FUZZ_TIME_LIMIT_MS=${env.FUZZ_TIME_LIMIT_MS} (hard deadline ${Math.round(deadlineMs / 1000)} s)\n`,
);
const started = Date.now();
const result = spawnSync('npx', ['vitest', 'run', 'test/fuzz', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env,
  timeout: deadlineMs,
  killSignal: 'SIGKILL',
});
const seconds = Math.round((Date.now() - started) / 1000);
if (result.error?.code === 'ETIMEDOUT') {
  process.stderr.write(`\n✗ fuzz: killed after the ${seconds} s deadline\n`);
  process.exit(1);
}
process.stdout.write(`\nfuzz: finished in ${seconds} s (exit ${result.status ?? result.signal})\n`);
process.exit(result.status ?? 1);
