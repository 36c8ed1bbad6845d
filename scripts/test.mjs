#!/usr/bin/env node
// The one test command (README, .ci/run): install what the tests need, build,
// check formatting and lint, type-check, then run every test suite.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

function run(title, command, args, options = {}) {
  process.stdout.write(`\n── ${title}: ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) {
    process.stderr.write(`\n✗ ${title} failed (exit ${result.status ?? result.signal}).\n`);
    process.exit(result.status ?? 1);
  }
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
run('install npm dependencies', npm, ['install', '--no-audit', '--no-fund']);
run('install system test dependencies', process.execPath, ['scripts/ensure-system-deps.mjs']);
run('build', npm, ['run', 'build']);
run('type-check tests', 'npx', ['tsc', '-p', 'test']);
run('format and lint', 'npx', ['biome', 'ci', '.']);

const reportDir = mkdtempSync(join(tmpdir(), 'stompede-test-'));
const passthrough = process.argv.slice(2);

/** One vitest run writing a JSON report; returns its exit status and report path. */
function vitest(name, args) {
  const report = join(reportDir, `${name}.json`);
  process.stdout.write(`\n── tests (${name}): vitest run ${args.join(' ')}\n`);
  const result = spawnSync(
    'npx',
    [
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...args,
    ],
    { stdio: 'inherit' },
  );
  return { status: result.status ?? 1, report };
}

// The browser tests check that pages stay responsive under load; they run on
// their own, one file at a time, after the rest, so that what they measure is
// the page and not the broker processes of neighbouring test files.
const runs =
  passthrough.length > 0
    ? [vitest('selected', passthrough)]
    : [
        vitest('unit and integration', ['--exclude', 'test/e2e/**']),
        vitest('browser', ['test/e2e', '--no-file-parallelism']),
      ];

// One plain closing line that any CI reader understands.
let passed = 0;
let failed = 0;
let skipped = 0;
for (const { report } of runs) {
  if (!existsSync(report)) continue;
  const results = JSON.parse(readFileSync(report, 'utf8'));
  passed += results.numPassedTests;
  failed += results.numFailedTests;
  skipped += results.numPendingTests + results.numTodoTests;
}
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
rmSync(reportDir, { recursive: true, force: true });
process.exit(runs.find((r) => r.status !== 0)?.status ?? 0);
