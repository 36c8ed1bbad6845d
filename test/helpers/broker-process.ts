/**
 * The broker as a child process (the built CLI), so a test can kill it with SIGKILL
 * and start another one on the same data directory. Every process and client opened
 * here is torn down when the test finishes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { TcpStompClient } from './raw-client.js';

export const CLI_PATH = fileURLToPath(new URL('../../server/dist/cli.js', import.meta.url));

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BrokerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly exited: Promise<ExitInfo>;
  /** Whether kill9() or stop() was called (the connections' end is then expected). */
  readonly stopping: boolean;
  /** Everything the process wrote to stdout/stderr so far (for failure messages). */
  output(): string;
  /** SIGKILL, then wait for the process to be gone. */
  kill9(): Promise<ExitInfo>;
  /** SIGTERM (clean shutdown), then wait for the exit. */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /** A raw TCP client to this broker (opened, not CONNECTed), destroyed at test end. */
  tcp(label?: string): Promise<TcpStompClient>;
  /** A raw TCP client that has completed CONNECT/CONNECTED. */
  connectTcp(headers?: Record<string, string>, label?: string): Promise<TcpStompClient>;
}

export interface SpawnOptions {
  dataDir: string;
  /** JSON config file passed with --config. */
  configFile?: string;
  startTimeoutMs?: number;
  logLevel?: string;
  /** More `serve` flags (e.g. `--cluster redis://…`). */
  extraArgs?: string[];
}

const LISTENING = /stomp:\/\/127\.0\.0\.1:(\d+)/;

export async function spawnBroker(opts: SpawnOptions): Promise<BrokerProcess> {
  if (!existsSync(CLI_PATH)) {
    throw new Error(`${CLI_PATH} does not exist: run \`npm run build\` before these tests`);
  }
  const args = [
    CLI_PATH,
    'serve',
    '--host',
    '127.0.0.1',
    '--tcp-port',
    '0',
    '--store',
    'lmdb',
    '--data-dir',
    opts.dataDir,
    '--log-level',
    opts.logLevel ?? 'warn',
  ];
  if (opts.configFile) args.push('--config', opts.configFile);
  if (opts.extraArgs) args.push(...opts.extraArgs);
  // Keep the developer's STOMPEDE_* settings out of the child.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STOMPEDE_')) env[k] = v;
  // No WebSocket listener. Through the environment because `--ws-port off` is rejected by
  // the CLI (commander turns the parser's null into "": "wsPort must be a port … (got )").
  env.STOMPEDE_WS_PORT = 'off';
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const clients: TcpStompClient[] = [];
  onTestFinished(async () => {
    for (const c of clients) c.destroy();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });

  const startTimeoutMs = opts.startTimeoutMs ?? 20_000;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`broker did not report its TCP port within ${startTimeoutMs}ms:\n${out}`));
    }, startTimeoutMs);
    const onData = () => {
      const m = LISTENING.exec(out);
      if (m) {
        cleanup();
        resolve(Number(m[1]));
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      reject(new Error(`broker exited (code ${code}, signal ${signal}) before listening:\n${out}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });

  let stopping = false;
  const proc: BrokerProcess = {
    child,
    pid: child.pid!,
    port,
    exited,
    get stopping() {
      return stopping;
    },
    output: () => out,
    async kill9() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
    async stop(timeoutMs = 10_000) {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          exited,
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`broker did not exit within ${timeoutMs}ms of SIGTERM`)),
              timeoutMs,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    async tcp(label = 'tcp') {
      const c = new TcpStompClient('127.0.0.1', port, label);
      clients.push(c);
      await c.opened;
      return c;
    },
    async connectTcp(headers = {}, label) {
      const c = await proc.tcp(label);
      await c.connect(headers);
      return c;
    },
  };
  return proc;
}
