/** The bench command line (`npm run bench -- …`) and the helpers every part of the bench shares. */

import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseTarget } from './target.mjs';

/** The bench/ directory (scripts are started from it). */
export const HERE = fileURLToPath(new URL('..', import.meta.url));
export const SCENARIOS = ['fanout', 'latency', 'queue', 'idle', 'startup', 'cluster'];
export const hrNs = () => Number(process.hrtime.bigint());
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const log = (...a) => console.log('#', ...a);

// ── command line ───────────────────────────────────────────────────────

export function usage(code) {
  console.log(`Usage: npm run bench -- [options]
  --scenario NAME    ${SCENARIOS.join(' | ')} (repeatable; default: all)
  --quick            small counts, whole run < 60 s (a smoke test)
  --target URL       run the scenarios against another STOMP broker on this machine:
                     stomp://127.0.0.1:61613 or ws://127.0.0.1:15674/ws (loopback only)
  --target-pid PID   with --target: sample that process's CPU and RSS from /proc
  --login USER --passcode PASS --vhost HOST   CONNECT credentials / host header for --target
  --workers N        generator processes for the 1000-subscriber runs (default: CPUs-1, 1..4;
                     the latency scenario uses at least 2 unless this is given)
  --pin              pin the server to CPU 0 and the generator to the other CPUs (taskset)
  --help`);
  process.exit(code);
}

export function parseArgs(argv) {
  const opts = {
    scenarios: [],
    quick: false,
    target: null,
    targetPid: null,
    workers: Math.max(1, Math.min(4, os.cpus().length - 1)),
    workersGiven: false,
    auth: {},
    pin: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) {
        console.error(`${a} needs a value`);
        usage(2);
      }
      return v;
    };
    if (a === '--scenario') {
      const s = value();
      if (!SCENARIOS.includes(s)) {
        console.error(`unknown scenario '${s}' (known: ${SCENARIOS.join(', ')})`);
        process.exit(2);
      }
      opts.scenarios.push(s);
    } else if (a === '--quick') opts.quick = true;
    else if (a === '--target') {
      try {
        opts.target = parseTarget(value());
      } catch (err) {
        console.error(`bench: ${err.message}`);
        process.exit(2);
      }
    } else if (a === '--target-pid') opts.targetPid = Number(value());
    else if (a === '--login') opts.auth.login = value();
    else if (a === '--passcode') opts.auth.passcode = value();
    else if (a === '--vhost') opts.auth.vhost = value();
    else if (a === '--workers') {
      opts.workers = Math.max(1, Number(value()) | 0);
      opts.workersGiven = true;
    } else if (a === '--pin') opts.pin = true;
    else if (a === '--help' || a === '-h') usage(0);
    else {
      console.error(`unknown option ${a}`);
      usage(2);
    }
  }
  if (opts.scenarios.length === 0) opts.scenarios = [...SCENARIOS];
  return opts;
}

export const opts = parseArgs(process.argv.slice(2));
export const Q = opts.quick;
