/**
 * A file read once at startup (synchronously, so a bad one stops the broker
 * before it listens) and read again when it changes: checked at most once a
 * second, when something needs it. A change that does not parse keeps the
 * last good value and is reported through `onReloadError`.
 */
import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

/** How often, at most, the file is looked at. */
const CHECK_EVERY_MS = 1000;

export class ReloadingFile<T> {
  private value: T;
  private version: string;
  private checkedAt = Date.now();
  private checking: Promise<void> | null = null;

  constructor(
    readonly path: string,
    private readonly parse: (text: string, path: string) => T,
    private readonly onReloadError: (err: Error) => void = () => {},
    describeReadError: (err: Error) => Error = (err) => err,
  ) {
    let text: string;
    try {
      this.version = versionOf(statSync(path));
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw describeReadError(err as Error);
    }
    this.value = parse(text, path);
  }

  /** The current value, after a look at the file when the last look is older than a second. */
  async current(now = Date.now()): Promise<T> {
    if (now - this.checkedAt >= CHECK_EVERY_MS) {
      this.checkedAt = now;
      this.checking ??= this.reloadIfChanged().finally(() => {
        this.checking = null;
      });
    }
    if (this.checking !== null) await this.checking;
    return this.value;
  }

  /** The value as last read, without looking at the file. */
  get last(): T {
    return this.value;
  }

  private async reloadIfChanged(): Promise<void> {
    try {
      const version = versionOf(await stat(this.path));
      if (version === this.version) return;
      this.value = this.parse(await readFile(this.path, 'utf8'), this.path);
      this.version = version;
    } catch (err) {
      this.onReloadError(err as Error);
    }
  }
}

function versionOf(info: { ino: number; size: number; mtimeMs: number }): string {
  return `${info.ino}:${info.size}:${info.mtimeMs}`;
}
