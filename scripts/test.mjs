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
const report = join(reportDir, 'vitest.json');
const passthrough = process.argv.slice(2);
const vitest = spawnSync(
  'npx',
  [
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...passthrough,
  ],
  { stdio: 'inherit' },
);
// One plain closing line that any CI reader understands.
if (existsSync(report)) {
  const results = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = results.numPendingTests + results.numTodoTests;
  process.stdout.write(
    `\n${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`,
  );
}
rmSync(reportDir, { recursive: true, force: true });
process.exit(vitest.status ?? 1);
