/**
 * `stompede publish` and `stompede subscribe`: the built CLI as child
 * processes against a real broker, over stomp:// and ws://.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { type BrokerContext, startBroker } from '../../helpers/broker.js';
import { CLI_PATH } from '../../helpers/broker-process.js';
import { uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000 });

const WAIT_MS = 10_000;
const LOGS = [{ match: '/topic/logs.>', historyMaxMessages: 100 }];

interface Cli {
  child: ChildProcessWithoutNullStreams;
  stdoutLines(): string[];
  stderr(): string;
  waitForStdoutLines(n: number): Promise<string[]>;
  waitForStderr(pattern: RegExp): Promise<void>;
  /** The exit code, bounded in time. */
  exit(): Promise<number | null>;
}

async function waitUntil(check: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function runCli(args: string[], stdin?: string): Cli {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  if (stdin !== undefined) child.stdin.end(stdin);
  let code: number | null | undefined;
  child.once('close', (c) => {
    code = c;
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines = () => out.split('\n').slice(0, -1);
  return {
    child,
    stdoutLines: lines,
    stderr: () => err,
    async waitForStdoutLines(n) {
      await waitUntil(
        () => lines().length >= n,
        () => `${n} stdout line(s); got: ${JSON.stringify(lines())}, stderr: ${err}`,
      );
      return lines();
    },
    waitForStderr: (pattern) =>
      waitUntil(
        () => pattern.test(err),
        () => `${pattern} on stderr; got: ${err}`,
      ),
    async exit() {
      await waitUntil(
        () => code !== undefined,
        () => `exit of stompede ${args.join(' ')}; stderr: ${err}`,
      );
      return code ?? null;
    },
  };
}

const URLS = {
  'stomp://': (b: BrokerContext) => `stomp://127.0.0.1:${b.addr.tcp.port}`,
  'ws://': (b: BrokerContext) => `ws://127.0.0.1:${b.addr.ws.port}/stomp`,
};

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('stompede publish', () => {
  it('sends every stdin line, confirmed by receipts in batches, then exits 0', async () => {
    const b = await startBroker({ destinations: LOGS });
    const dest = `/topic/logs.${uniqueName('pub')}`;
    const sub = await b.stompjs();
    const got = await sub.subscribeConfirmed(dest);
    const lines = Array.from({ length: 250 }, (_, i) => `line ${i} ${'x'.repeat(i % 7)}`);
    const cli = runCli(
      [
        'publish',
        dest,
        '--url',
        URLS['stomp://'](b),
        '--batch',
        '40',
        '--header',
        'x-app=billing',
        '--header',
        'x-env=a=b',
        '--persistent',
      ],
      `${lines.join('\n')}\n`,
    );
    expect(await cli.exit()).toBe(0);
    expect(cli.stderr()).toMatch(/sent 250 message\(s\) to .*, all confirmed/);
    // Every line was confirmed before exit: the broker routed them all already.
    const messages = await got.waitFor(250, WAIT_MS);
    expect(messages.map((m) => m.body)).toEqual(lines);
    expect(messages[0]!.headers['x-app']).toBe('billing');
    expect(messages[0]!.headers['x-env']).toBe('a=b');
    expect(messages[0]!.headers['content-type']).toBe('text/plain');
    expect(messages.some((m) => m.headers.receipt !== undefined)).toBe(false);
  });

  it('exits non-zero with the broker ERROR text when the broker refuses the destination', async () => {
    const b = await startBroker({ destinations: LOGS });
    const cli = runCli(['publish', '/topic/logs.*', '--url', URLS['stomp://'](b)], 'one\ntwo\n');
    expect(await cli.exit()).toBe(1);
    expect(cli.stderr()).toMatch(/^stompede: the broker refused: .*wildcard/m);
    expect(cli.stderr()).not.toMatch(/all confirmed/);
  });
});

describe('stompede subscribe', () => {
  it('--history prints the replayed lines, then live ones; --count exits', async () => {
    const b = await startBroker({ destinations: LOGS });
    const dest = `/topic/logs.${uniqueName('hist')}`;
    const pub = await b.stompjs();
    for (const body of ['a', 'b', 'c', 'd']) await pub.publishConfirmed(dest, body);
    const cli = runCli([
      'subscribe',
      dest,
      '--url',
      URLS['stomp://'](b),
      '--history',
      '2',
      '--count',
      '4',
    ]);
    expect(await cli.waitForStdoutLines(2)).toEqual(['c', 'd']);
    await pub.publishConfirmed(dest, 'live 1');
    await pub.publishConfirmed(dest, 'live 2');
    expect(await cli.exit()).toBe(0);
    expect(cli.stdoutLines()).toEqual(['c', 'd', 'live 1', 'live 2']);
  });

  it('--json prints headers and body; --selector filters', async () => {
    const b = await startBroker({ destinations: LOGS });
    const dest = `/topic/logs.${uniqueName('sel')}`;
    const cli = runCli([
      'subscribe',
      dest,
      '--url',
      URLS['ws://'](b),
      '--json',
      '--selector',
      "level = 'ERROR'",
      '--count',
      '1',
    ]);
    await cli.waitForStderr(/subscribed to/);
    const pub = await b.stompjs();
    await pub.publishConfirmed(dest, 'not this', { level: 'INFO' });
    await pub.publishConfirmed(dest, 'this one\nhas two lines', { level: 'ERROR' });
    expect(await cli.exit()).toBe(0);
    const out = cli.stdoutLines();
    expect(out).toHaveLength(1);
    const printed = JSON.parse(out[0]!) as { headers: Record<string, string>; body: string };
    expect(printed.body).toBe('this one\nhas two lines');
    expect(printed.headers.level).toBe('ERROR');
    expect(printed.headers.destination).toBe(dest);
  });
});

describe.each(Object.entries(URLS))('--url %s', (_scheme, urlFor) => {
  it('publish and subscribe both work', async () => {
    const b = await startBroker({ destinations: LOGS });
    const url = urlFor(b);
    const dest = `/topic/logs.${uniqueName('url')}`;
    const sub = runCli(['subscribe', dest, '--url', url, '--count', '3']);
    await sub.waitForStderr(/subscribed to/);
    const pub = runCli(
      ['publish', dest, '--url', url],
      'héllo\nwörld\r\nlast line without newline',
    );
    expect(await pub.exit()).toBe(0);
    expect(await sub.exit()).toBe(0);
    expect(sub.stdoutLines()).toEqual(['héllo', 'wörld', 'last line without newline']);
  });
});

describe('unreachable broker', () => {
  it.each([
    ['publish', 'stomp'],
    ['subscribe', 'stomp'],
    ['publish', 'ws'],
  ])('%s to a %s:// port nobody listens on exits 1 with one clear line', async (verb, scheme) => {
    const url = `${scheme}://127.0.0.1:${await closedPort()}`;
    const cli = runCli([verb, '/topic/logs.nowhere', '--url', url], 'x\n');
    expect(await cli.exit()).toBe(1);
    const lines = cli.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^stompede: cannot connect to ${url.replace(/[/.]/g, '\\$&')}: .*ECONNREFUSED`),
    );
  });

  it('sends --token as the passcode (login jwt) and reports a refused CONNECT', async () => {
    // A stand-in broker that records the CONNECT frame and refuses it.
    let connectFrame = '';
    const server = createServer((socket) => {
      socket.setEncoding('utf8').on('data', (d: string) => {
        connectFrame += d;
        if (connectFrame.includes('\0')) {
          socket.end('ERROR\nmessage:bad credentials\n\ntoken expired\0');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
    const { port } = server.address() as { port: number };
    const url = `stomp://127.0.0.1:${port}`;
    const cli = runCli(['subscribe', '/topic/x', '--url', url, '--token', 'eyJ.abc.def']);
    expect(await cli.exit()).toBe(1);
    expect(connectFrame).toMatch(/^CONNECT\n/);
    expect(connectFrame).toContain('\nlogin:jwt\n');
    expect(connectFrame).toContain('\npasscode:eyJ.abc.def\n');
    expect(cli.stderr().trim()).toBe(
      `stompede: ${url} refused the connection: bad credentials: token expired`,
    );
  });

  it('rejects a URL scheme it does not speak with exit code 2', async () => {
    const cli = runCli(['subscribe', '/topic/x', '--url', 'http://127.0.0.1:1']);
    expect(await cli.exit()).toBe(2);
    expect(cli.stderr()).toMatch(/unsupported --url scheme "http:"/);
  });
});
