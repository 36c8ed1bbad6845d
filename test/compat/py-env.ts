/**
 * Run the stomp.py scenario scripts (test/compat/py/*.py) as child processes and read the JSON
 * lines they print. stomp.py comes from Debian's python3-stomp (scripts/ensure-system-deps.mjs),
 * which lives in /usr/lib/python3/dist-packages: only Debian's /usr/bin/python3 sees it, not a
 * pyenv/venv `python3` earlier on PATH, so that interpreter is tried first. COMPAT_PYTHON
 * (comma-separated interpreters) replaces the list, e.g. for a venv with stomp.py from PyPI.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { WAIT_MS, withTimeout } from './support.js';

const PY_DIR = join(dirname(fileURLToPath(import.meta.url)), 'py');
const CANDIDATES = process.env.COMPAT_PYTHON?.split(',').filter(Boolean) ?? [
  '/usr/bin/python3',
  'python3',
];

export interface StompPy {
  python: string;
  /** stomp.py's version, e.g. "8.0.0" */
  version: string;
}

function probe(): StompPy | { reason: string } {
  const tried: string[] = [];
  for (const python of CANDIDATES) {
    if (python.startsWith('/') && !existsSync(python)) {
      tried.push(`${python}: not found`);
      continue;
    }
    const r = spawnSync(
      python,
      ['-c', 'import stomp; print(".".join(str(p) for p in stomp.__version__))'],
      { encoding: 'utf8', timeout: 15_000 },
    );
    if (r.status === 0) return { python, version: r.stdout.trim() };
    tried.push(`${python}: ${(r.stderr || String(r.error ?? '')).trim().split('\n').pop()}`);
  }
  return {
    reason:
      `stomp.py is not importable (${tried.join('; ') || 'no interpreter to try'}). ` +
      'Install Debian package python3-stomp (node scripts/ensure-system-deps.mjs as root, or ' +
      'sudo apt-get install -y --no-install-recommends python3-stomp).',
  };
}

const probed = probe();
/** The interpreter and stomp.py version, or null when stomp.py cannot be imported. */
export const stompPy: StompPy | null = 'python' in probed ? probed : null;
/** Why the stomp.py tests are skipped ('' when they run). */
export const skipReason = 'reason' in probed ? probed.reason : '';

export interface PyEvent {
  event: string;
  headers?: Record<string, string>;
  body?: string;
  index?: number;
  count?: number;
  message?: string;
  destination?: string;
}

export interface PyRun {
  readonly events: PyEvent[];
  /** Resolves with the first event matching `event` (and `pred`); fails fast if the script exits. */
  waitFor(event: string, pred?: (e: PyEvent) => boolean, ms?: number): Promise<PyEvent>;
  /** Resolves with every event once the script exits 0; rejects with its output otherwise. */
  finished(ms?: number): Promise<PyEvent[]>;
  of(event: string): PyEvent[];
}

/**
 * Start `test/compat/py/<script>` with `args` (the port and timeout are added). Killed when the
 * test finishes if still running.
 */
export function runPy(script: string, port: number, args: string[] = []): PyRun {
  if (!stompPy) throw new Error(skipReason);
  const child: ChildProcess = spawn(
    stompPy.python,
    [
      '-u',
      join(PY_DIR, script),
      '--port',
      String(port),
      '--timeout',
      String(WAIT_MS / 1000),
      ...args,
    ],
    {
      cwd: PY_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
      // no __pycache__ next to the scripts in the work tree
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    },
  );
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  const events: PyEvent[] = [];
  const listeners: Array<() => void> = [];
  let stdout = '';
  let stderr = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const notify = () => {
    for (const l of listeners.splice(0)) l();
  };
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    stdout += chunk;
    let nl = stdout.indexOf('\n');
    while (nl >= 0) {
      const line = stdout.slice(0, nl).trim();
      stdout = stdout.slice(nl + 1);
      if (line !== '') {
        try {
          events.push(JSON.parse(line) as PyEvent);
        } catch {
          events.push({ event: 'unparsed', message: line });
        }
      }
      nl = stdout.indexOf('\n');
    }
    notify();
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => {
    child.on('close', (code, signal) => {
      exit = { code, signal };
      notify();
      resolve();
    });
    child.on('error', (error) => {
      stderr += String(error);
      exit = { code: null, signal: null };
      notify();
      resolve();
    });
  });

  const describe = () =>
    `${script} ${args.join(' ')}\n  exit: ${JSON.stringify(exit)}\n  events: ${JSON.stringify(events)}\n  stderr: ${stderr.trim().slice(-2000)}`;

  return {
    events,
    of: (event) => events.filter((e) => e.event === event),
    waitFor(event, pred = () => true, ms = WAIT_MS * 2) {
      return withTimeout(
        new Promise<PyEvent>((resolve, reject) => {
          const check = () => {
            const hit = events.find((e) => e.event === event && pred(e));
            if (hit) resolve(hit);
            else if (exit) reject(new Error(`exited before '${event}': ${describe()}`));
            else listeners.push(check);
          };
          check();
        }),
        ms,
        `'${event}' from ${describe()}`,
      );
    },
    async finished(ms = WAIT_MS * 3) {
      await withTimeout(exited, ms, `exit of ${describe()}`);
      if (exit!.code !== 0) throw new Error(`stomp.py script failed: ${describe()}`);
      return events;
    },
  };
}
