import {
  close,
  closeSync,
  fsync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { StoreOpenError } from './store.js';

export interface DataDirLock {
  /** False when the previous broker on this directory stopped without a clean shutdown (crash, kill -9). */
  readonly cleanShutdown: boolean;
  /**
   * Settles once the pid file is on disk (fsync). Until then a power loss
   * could lose it, and the next start would take this run for a clean one:
   * await it before the broker serves anything.
   */
  readonly durable: Promise<void>;
  /** Remove the lock: this broker shut down cleanly. */
  release(): void;
}

/**
 * Claim a data directory for this process with a pid file. The file also
 * tells the next start whether this run ended cleanly: it is removed only on
 * a clean shutdown, so finding one left by a dead process means a crash.
 */
export function lockDataDir(dir: string): DataDirLock {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new StoreOpenError(
      dir,
      `cannot create the data directory ${dir}: ${(err as Error).message}. Fix its permissions, or choose another with --data-dir.`,
    );
  }
  const path = join(dir, 'stompede.pid');
  let cleanShutdown = true;
  let previous = '';
  try {
    previous = readFileSync(path, 'utf8').trim();
  } catch {
    // No pid file: a fresh directory, or the last broker shut down cleanly.
  }
  if (previous !== '') {
    const pid = Number(previous);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      throw new StoreOpenError(
        dir,
        `another Stompede (pid ${pid}) is using the data directory ${dir}. Stop it, or choose another with ` +
          `--data-dir. If no Stompede runs there, delete ${path}.`,
      );
    }
    cleanShutdown = false;
  }
  const cannotWrite = (err: unknown): StoreOpenError =>
    new StoreOpenError(
      dir,
      `cannot write ${path}: ${(err as Error).message}. Fix the permissions of the data directory, or choose another with --data-dir.`,
    );
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (err) {
    throw cannotWrite(err);
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } catch (err) {
    closeSync(fd);
    throw cannotWrite(err);
  }
  // The fsync runs on libuv's thread pool while the store loads (issue 9: start-up); `durable` reports it.
  const durable = new Promise<void>((resolve, reject) => {
    fsync(fd, (syncErr) => {
      close(fd, () => (syncErr ? reject(cannotWrite(syncErr)) : resolve()));
    });
  });
  // Marked handled here: a caller that fails before awaiting it still sees no unhandled rejection.
  durable.catch(() => {});
  let released = false;
  return {
    cleanShutdown,
    durable,
    release(): void {
      if (released) return;
      released = true;
      try {
        unlinkSync(path);
      } catch {
        // Already gone: nothing to release.
      }
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
