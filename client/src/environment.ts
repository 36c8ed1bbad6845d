/**
 * The few things that differ between browsers and Node: clocks, random
 * ids and where an application's exception is reported.
 */

/** Surface an exception from application code without breaking the client (like DOM event listeners). */
export function reportLater(error: unknown): void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (typeof report === 'function') report(error);
  else
    setTimeout(() => {
      throw error;
    }, 0);
}

/** A monotonic clock in ms where there is one. */
export function now(): number {
  return typeof performance === 'undefined' ? Date.now() : performance.now();
}

/** A short id, unique enough to tell this client's receipts and correlation-ids from another's. */
export function randomId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID().slice(0, 13);
  return Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
}
