/**
 * Follow one file like `tail -F`, by polling: read what was appended, notice
 * truncation (size below our position: start over from 0) and rotation (the
 * path now names another file: finish the old one, then read the new one from
 * its start), and wait for a missing or unreadable file to become readable,
 * reporting the problem once. Emits complete lines only (a trailing partial
 * line waits for its newline, or for rotation, truncation or stop).
 */
import type { Stats } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';

export interface FollowOptions {
  /** Read the file's existing content too (otherwise start at its end, when it exists at start). */
  fromStart: boolean;
  intervalMs: number;
  /** A line longer than about this many bytes is sent in pieces. */
  maxLineBytes?: number;
  onLine(line: string): void;
  /** Progress and problems, for stderr. */
  onNotice(message: string): void;
  /** Backpressure: awaited before each read. */
  ready(): Promise<void>;
}

const CHUNK = 64 * 1024;
const DEFAULT_MAX_LINE = 1024 * 1024;

export class FileFollower {
  private handle: FileHandle | null = null;
  private identity: { dev: number; ino: number } | null = null;
  private position = 0;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** True until the first poll is done: only files present then start at their end. */
  private initial = true;
  /** The error code last reported, so each problem is reported once. */
  private problem: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Resolves on stop(), so a read waiting for room (broker away) does not hold the stop up. */
  private readonly stopSignal: Promise<void>;
  private signalStop: () => void = () => {};
  private readonly buffer = Buffer.allocUnsafe(CHUNK);
  private readonly maxLineBytes: number;

  constructor(
    readonly path: string,
    private readonly options: FollowOptions,
  ) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE;
    this.stopSignal = new Promise((resolve) => {
      this.signalStop = resolve;
    });
  }

  /** The first poll (so "following" can be said truthfully), then poll every interval. */
  async start(): Promise<void> {
    await this.poll();
    this.initial = false;
    this.schedule();
  }

  /** Stop polling, emit a trailing partial line, close the file. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    this.flushPartial();
    await this.closeHandle();
  }

  /** Whether the file is open and being read. */
  get following(): boolean {
    return this.handle !== null;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.poll().finally(() => {
        this.running = null;
        this.schedule();
      });
    }, this.options.intervalMs);
  }

  private async poll(): Promise<void> {
    try {
      if (!this.handle && !(await this.open())) return;
      await this.readAppended();
      await this.checkReplaced();
    } catch (err) {
      if (this.stopped) return;
      this.report(err);
      this.flushPartial();
      await this.closeHandle();
    }
  }

  private async open(): Promise<boolean> {
    let handle: FileHandle | null = null;
    let info: Stats;
    try {
      handle = await open(this.path, 'r');
      info = await handle.stat();
      if (info.isDirectory()) {
        throw Object.assign(new Error(`EISDIR: is a directory, '${this.path}'`), {
          code: 'EISDIR',
        });
      }
    } catch (err) {
      await handle?.close().catch(() => {});
      this.report(err);
      return false;
    }
    if (this.problem !== null) this.options.onNotice(`${this.path} is readable now; following it`);
    this.problem = null;
    this.handle = handle;
    this.identity = { dev: info.dev, ino: info.ino };
    this.position = this.initial && !this.options.fromStart ? info.size : 0;
    return true;
  }

  private report(err: unknown): void {
    const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
    if (this.problem === code) return;
    this.problem = code;
    const why = code === 'ENOENT' ? 'no such file' : (err as Error).message;
    this.options.onNotice(`cannot read ${this.path}: ${why}; will pick it up when it is readable`);
  }

  private async readAppended(): Promise<void> {
    const handle = this.handle!;
    const info = await handle.stat();
    if (info.size < this.position) {
      this.options.onNotice(`${this.path} was truncated; reading it from the start`);
      this.flushPartial();
      this.position = 0;
    }
    for (;;) {
      await Promise.race([this.options.ready(), this.stopSignal]);
      if (this.stopped) break;
      const { bytesRead } = await handle.read(this.buffer, 0, CHUNK, this.position);
      if (bytesRead === 0) break;
      this.position += bytesRead;
      this.split(this.buffer.subarray(0, bytesRead));
    }
  }

  /** Rotation: the path names another file now (or none, or ours was deleted). */
  private async checkReplaced(): Promise<void> {
    let current: Stats | null = null;
    try {
      current = await stat(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (current && current.ino === this.identity?.ino && current.dev === this.identity.dev) return;
    if (!current) {
      // Renamed away: keep reading the old file until a new one appears, unless it was deleted.
      const old = await this.handle!.stat();
      if (old.nlink > 0) return;
    }
    // Whatever the writer added to the old file since the last read, then switch.
    await this.readAppended();
    this.flushPartial();
    await this.closeHandle();
    if (!current) {
      this.report(Object.assign(new Error('removed'), { code: 'ENOENT' }));
      return;
    }
    this.options.onNotice(`${this.path} was replaced (rotated); following the new file`);
    if (await this.open()) await this.readAppended();
  }

  private split(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(10, start);
      if (newline < 0) break;
      const piece = chunk.subarray(start, newline);
      if (this.partialBytes > 0) {
        this.partial.push(piece);
        this.emit(Buffer.concat(this.partial));
        this.partial = [];
        this.partialBytes = 0;
      } else {
        this.emit(piece);
      }
      start = newline + 1;
    }
    if (start < chunk.length) {
      // Copy: `chunk` is our read buffer, reused by the next read.
      const rest = Buffer.from(chunk.subarray(start));
      this.partial.push(rest);
      this.partialBytes += rest.length;
      if (this.partialBytes >= this.maxLineBytes) this.flushPartial();
    }
  }

  private flushPartial(): void {
    if (this.partialBytes === 0) return;
    const line = Buffer.concat(this.partial);
    this.partial = [];
    this.partialBytes = 0;
    this.emit(line);
  }

  private emit(bytes: Buffer): void {
    let line = bytes.toString('utf8');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    // Blank lines carry no log record.
    if (line.trim() === '') return;
    this.options.onLine(line);
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    this.identity = null;
    await handle?.close().catch(() => {});
  }
}
