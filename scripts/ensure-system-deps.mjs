#!/usr/bin/env node
// Install the Debian packages that some test suites drive as real third-party
// clients (test/compat), and redis-server for the cluster tests. Idempotent: nothing happens when everything is present.
// As root it installs what is missing with apt-get; otherwise it prints which
// tests will be skipped and how to install the packages, and exits 0 (those
// tests skip themselves when their dependency is missing).
//
// To add a dependency, append an entry to SYSTEM_DEPS: `present()` says whether
// it is usable already, `tests` names what skips without it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Python interpreters to try, Debian's first: apt installs python3-* modules
 * into /usr/lib/python3/dist-packages, which a pyenv/venv `python3` earlier on
 * PATH does not see. COMPAT_PYTHON (comma-separated) replaces the list; the
 * tests (test/compat/py-env.ts) use the same list.
 */
const PYTHON_CANDIDATES = process.env.COMPAT_PYTHON?.split(',').filter(Boolean) ?? [
  '/usr/bin/python3',
  'python3',
];

function quiet(command, args) {
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
  return r.status === 0;
}

function hasPythonModule(module) {
  return PYTHON_CANDIDATES.some(
    (py) => (py.startsWith('/') ? existsSync(py) : true) && quiet(py, ['-c', `import ${module}`]),
  );
}

function hasCommand(name) {
  return quiet('sh', ['-c', `command -v ${name}`]);
}

/** @type {Array<{ apt: string, what: string, tests: string, present: () => boolean }>} */
const SYSTEM_DEPS = [
  {
    apt: 'python3-stomp',
    what: 'stomp.py (Python module `stomp`)',
    tests: 'test/compat/stomppy.test.ts',
    present: () => hasPythonModule('stomp'),
  },
  {
    // Headless browser for the demo's end-to-end tests (driven by playwright-core).
    apt: 'chromium',
    what: 'Chromium (/usr/bin/chromium)',
    tests: 'test/e2e/**',
    present: () => existsSync('/usr/bin/chromium'),
  },
  {
    // The shared engine of a cluster (server/src/cluster/); the cluster tests start their own.
    apt: 'redis-server',
    what: 'Redis (redis-server)',
    tests: 'test/integration/cluster/**',
    present: () => hasCommand('redis-server'),
  },
];

function aptGet(args) {
  process.stdout.write(`ensure-system-deps: apt-get ${args.join(' ')}\n`);
  const r = spawnSync('apt-get', args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.status === 0;
}

const missing = SYSTEM_DEPS.filter((d) => !d.present());
if (missing.length === 0) {
  process.stdout.write('ensure-system-deps: all system test dependencies present\n');
  process.exit(0);
}

const pkgs = missing.map((d) => d.apt);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const canApt = process.platform === 'linux' && hasCommand('apt-get');

if (isRoot && canApt) {
  const ok = aptGet(['update']) && aptGet(['install', '-y', '--no-install-recommends', ...pkgs]);
  const still = missing.filter((d) => !d.present());
  if (ok && still.length === 0) {
    process.stdout.write(`ensure-system-deps: installed ${pkgs.join(' ')}\n`);
    process.exit(0);
  }
  for (const d of still) {
    process.stderr.write(
      `ensure-system-deps: ${d.what} still unavailable after apt-get; ${d.tests} will be skipped\n`,
    );
  }
  // Not fatal: the affected tests skip with a printed reason.
  process.exit(0);
}

for (const d of missing) {
  process.stdout.write(
    `ensure-system-deps: ${d.what} is missing; ${d.tests} will be skipped. ` +
      `Install it with: sudo apt-get install -y --no-install-recommends ${d.apt}\n`,
  );
}
process.exit(0);
