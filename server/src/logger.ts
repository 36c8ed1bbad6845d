/**
 * The broker's logs: pino, one structured line per event. JSON by default
 * (for log shippers); human-readable lines when stdout is a terminal. Also
 * the two kinds of line other modules share: limit breaches (rate-limited,
 * since a flood of breaches must not flood the log; the counter has them
 * all) and admin actions.
 */
import { pino } from 'pino';
import type { BrokerConfig } from './config.js';

export type Logger = pino.Logger;

/** Where log lines go: anything with write(line). */
export interface LogDestination {
  write(line: string): unknown;
}

export interface LoggerOptions {
  /** Where to write; default stdout. */
  destination?: LogDestination;
  /** Human-readable lines instead of JSON; default: when stdout is a terminal (and no destination is given). */
  pretty?: boolean;
}

/** Structured logs (pino): JSON lines, or readable ones on a terminal. */
export function createLogger(level: BrokerConfig['logLevel'], options: LoggerOptions = {}): Logger {
  const pretty =
    options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  const out = options.destination ?? process.stdout;
  const destination = pretty ? prettyDestination(out, out === process.stdout) : out;
  return pino({ level, base: { name: 'stompede' } }, destination as pino.DestinationStream);
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const LEVEL_COLOURS: Record<number, string> = {
  10: '\x1b[90m',
  20: '\x1b[36m',
  30: '\x1b[32m',
  40: '\x1b[33m',
  50: '\x1b[31m',
  60: '\x1b[35m',
};
/** Fields every line has, shown in the line's own columns rather than as key=value. */
const FRAME_FIELDS = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname']);

/**
 * A destination that turns pino's JSON lines into
 * `12:34:56.789 INFO  connection closed session=… reason=client-disconnect`.
 * Written here rather than taken from pino-pretty: a dozen dependencies for
 * a few lines of formatting on a developer's terminal.
 */
export function prettyDestination(out: LogDestination, colours: boolean): LogDestination {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (line !== '') out.write(`${formatLine(line, colours)}\n`);
      }
    },
  };
}

/** One JSON log line as readable text; lines that are not JSON pass through. */
export function formatLine(line: string, colours = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now());
  const clock = time.toISOString().slice(11, 23);
  const name = (LEVEL_NAMES[level] ?? String(level)).padEnd(5);
  const shownLevel = colours ? `${LEVEL_COLOURS[level] ?? ''}${name}\x1b[0m` : name;
  let text = `${clock} ${shownLevel} ${typeof entry.msg === 'string' ? entry.msg : ''}`;
  for (const [key, value] of Object.entries(entry)) {
    if (FRAME_FIELDS.has(key) || value === undefined) continue;
    text += ` ${key}=${formatValue(value)}`;
  }
  return text;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * One log line per limit breach, at most one per limit per `intervalMs`:
 * a client flooding a limit costs the log one line a second, which says how
 * many breaches it stands for (`breaches`, counting the ones not logged).
 * The breach counter (counters.ts) still counts each one.
 */
export class LimitBreachLog {
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly byLimit = new Map<string, { loggedAt: number; unlogged: number }>();

  constructor(logger: Logger, intervalMs = 1000) {
    this.logger = logger;
    this.intervalMs = intervalMs;
  }

  /** A breach of `limit` (its config key) happened. */
  report(limit: string, fields: Record<string, unknown> = {}): void {
    const now = Date.now();
    let state = this.byLimit.get(limit);
    if (state === undefined) {
      // Limits are config keys: a small, fixed set.
      state = { loggedAt: Number.NEGATIVE_INFINITY, unlogged: 0 };
      this.byLimit.set(limit, state);
    }
    state.unlogged++;
    if (now - state.loggedAt < this.intervalMs) return;
    this.logger.warn(
      { event: 'limit.breach', limit, breaches: state.unlogged, ...fields },
      'limit breached',
    );
    state.loggedAt = now;
    state.unlogged = 0;
  }
}

/** What an operator did through the admin API or CLI, for the audit trail. */
export interface AdminAction {
  /** Who did it: the login's user name ('' when anonymous). */
  user: string;
  /** What was done, a short verb phrase: 'purge', 'delete-destination', 'close-connection', 'dlq-replay'… */
  action: string;
  /** What it was done to: a destination, connection id, subscription… */
  target: string;
  /** Whether it took effect; false with `error` when it was refused or failed. */
  ok?: boolean;
  error?: string;
  /** Anything else worth keeping (counts moved, remote address…). */
  [field: string]: unknown;
}

/**
 * One `admin action` line (info level, `event: 'admin.action'`), so every
 * change made by an operator is on record with who, what and on what.
 * The admin API calls this once per action, after it took effect (or failed).
 */
export function logAdminAction(logger: Logger, action: AdminAction): void {
  const { ok = true, ...rest } = action;
  logger.info({ event: 'admin.action', ok, ...rest }, 'admin action');
}
