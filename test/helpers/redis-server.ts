/**
 * A private redis-server per test: a free loopback port, a temporary
 * directory for its data, torn down when the test finishes. Never uses a
 * Redis that happens to be running already.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/** Whether a redis-server binary is on PATH (scripts/ensure-system-deps.mjs installs it). */
export const HAS_REDIS =
  spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status === 0;

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Clean shutdown (SHUTDOWN: the append-only file is flushed), then wait for the exit. */
  stop(): Promise<void>;
  /** Start again on the same port and directory (after stop()). */
  restart(): Promise<void>;
  /** A command through redis-cli, for looking at what the brokers stored. */
  cli(...args: string[]): string;
}

export interface RedisOptions {
  /** Keep an append-only file (fsync on every write) so a restart loses nothing. Default true. */
  appendonly?: boolean;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'stompede-redis-'));
  const appendonly = options.appendonly ?? true;
  let child: ChildProcess | null = null;
  let port = 0;
  let output = '';

  const launch = async (): Promise<void> => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      appendonly ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--dir',
      dir,
      '--daemonize',
      'no',
    ];
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    output = '';
    proc.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    proc.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start:\n${output}`)),
        10_000,
      );
      const check = () => {
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout?.on('data', check);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`));
      });
    });
  };

  const exited = (): Promise<void> =>
    new Promise((resolve) => {
      const proc = child;
      if (proc === null || proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once('exit', () => resolve());
    });

  // A port found free may be taken before redis binds it (other test files run in parallel): try again.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      if (attempt >= 4) throw err;
    }
  }

  const server: RedisServer = {
    get port() {
      return port;
    },
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    dir,
    async stop() {
      const done = exited();
      child?.kill('SIGTERM');
      await done;
    },
    async restart() {
      await launch();
    },
    cli(...args: string[]) {
      const r = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' });
      return r.stdout.trim();
    },
  };
  onTestFinished(async () => {
    const proc = child;
    if (proc !== null && proc.exitCode === null && proc.signalCode === null) {
      const done = exited();
      proc.kill('SIGKILL');
      await done;
    }
    await rm(dir, { recursive: true, force: true });
  });
  return server;
}
