/**
 * How much fuzzing to do. The test suite runs small, fast budgets; `npm run fuzz`
 * (scripts/fuzz.mjs) raises them through the environment:
 *
 *   FUZZ_RUNS           parser runs per property        (default 200)
 *   FUZZ_SESSION_RUNS   broker session runs per property (default 50)
 *   FUZZ_TIME_LIMIT_MS  wall-clock budget per property  (default 12 s parser, 14 s session)
 *   FUZZ_SEED, FUZZ_PATH  replay a reported counterexample (fast-check seed and path)
 *   FUZZ_VERBOSE=1      print the number of runs and the time each property took
 *
 * A property stops early (as a success) once its time budget is spent, so a slow
 * machine runs fewer cases rather than timing out; the count actually run is printed
 * with FUZZ_VERBOSE.
 */
import fc from 'fast-check';

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export const PARSER_RUNS = envInt('FUZZ_RUNS', 200);
export const SESSION_RUNS = envInt('FUZZ_SESSION_RUNS', 50);
const TIME_LIMIT_MS = envInt('FUZZ_TIME_LIMIT_MS', 0);
const SEED = process.env.FUZZ_SEED;
const PATH = process.env.FUZZ_PATH;
const VERBOSE = process.env.FUZZ_VERBOSE === '1';

/** Wall-clock budget of one property, ms. */
export function timeBudget(defaultMs: number): number {
  return TIME_LIMIT_MS > 0 ? TIME_LIMIT_MS : defaultMs;
}

/**
 * vitest timeout for a test running one property: its budget plus room for
 * shrinking a counterexample and for teardown.
 */
export function testTimeout(defaultBudgetMs: number): number {
  return timeBudget(defaultBudgetMs) * 2 + 30_000;
}

export function params<T>(numRuns: number, budgetMs: number): fc.Parameters<T> {
  const p: fc.Parameters<T> = {
    numRuns,
    plugins: [fc.interruptAfterTimeLimit(budgetMs) as fc.Plugin<T>],
  };
  if (SEED !== undefined && SEED !== '') p.seed = Number(SEED);
  if (PATH !== undefined && PATH !== '') p.path = PATH;
  return p;
}

function report<T>(name: string, details: fc.RunDetails<T>, started: number, message: string) {
  if (details.failed) {
    const err = details.errorInstance;
    const why = err instanceof Error ? (err.stack ?? err.message) : String(err);
    throw new Error(`${name}: ${message}\n\nFailure of the shrunk counterexample:\n${why}`);
  }
  if (VERBOSE) {
    const ms = Date.now() - started;
    const cut = details.interrupted ? ' (time budget reached)' : '';
    process.stdout.write(
      `[fuzz] ${name}: ${details.numRuns} runs in ${ms} ms${cut}, seed ${details.seed}\n`,
    );
  }
}

/** fc.check + a readable failure (seed, path, shrunk counterexample) + an optional run count line. */
export function runProperty<T>(name: string, property: fc.IProperty<T>, p: fc.Parameters<T>) {
  const started = Date.now();
  const details = fc.check(property, p);
  report(name, details, started, fc.defaultReportMessage(details) ?? 'failed');
}

export async function runAsyncProperty<T>(
  name: string,
  property: fc.IAsyncProperty<T>,
  p: fc.Parameters<T>,
): Promise<void> {
  const started = Date.now();
  const details = await fc.check(property, p);
  report(name, details, started, (await fc.asyncDefaultReportMessage(details)) ?? 'failed');
}
