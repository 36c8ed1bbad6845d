import {
  closeSync,
  fsyncSync,
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
  let fd: number;
  try {
    fd = openSync(path, 'w');
    writeSync(fd, `${process.pid}\n`);
    fsyncSync(fd);
    closeSync(fd);
  } catch (err) {
    throw new StoreOpenError(
      dir,
      `cannot write ${path}: ${(err as Error).message}. Fix the permissions of the data directory, or choose another with --data-dir.`,
    );
  }
  let released = false;
  return {
    cleanShutdown,
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
