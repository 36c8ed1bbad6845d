/**
 * `stompede tail`: the built CLI as a child process following real files in a
 * temp dir, into a real broker, checked by a stompjs subscriber.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdtempSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { type BrokerContext, startBroker } from '../../helpers/broker.js';
import { CLI_PATH } from '../../helpers/broker-process.js';

vi.setConfig({ testTimeout: 30_000 });

const WAIT_MS = 10_000;
const LOGS = [{ match: '/topic/logs.>', historyMaxMessages: 100 }];

interface Cli {
  child: ChildProcessWithoutNullStreams;
  stderr(): string;
  waitForStderr(pattern: RegExp): Promise<void>;
  stop(): Promise<number | null>;
}

async function waitUntil(check: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function runCli(args: string[]): Cli {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: 'pipe' });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    stderr: () => err,
    waitForStderr: (pattern) =>
      waitUntil(
        () => pattern.test(err),
        () => `${pattern} on stderr; got: ${err}`,
      ),
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stompede-tail-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function tcpUrl(b: BrokerContext): string {
  return `stomp://127.0.0.1:${b.addr.tcp.port}`;
}

async function tail(b: BrokerContext, args: string[]): Promise<Cli> {
  const cli = runCli(['tail', ...args, '--url', tcpUrl(b), '--interval', '50']);
  await cli.waitForStderr(/following \d+ of \d+ file/);
  return cli;
}

describe('stompede tail', () => {
  it('sends lines appended after it started, with level, source and content-type headers', async () => {
    const b = await startBroker({ destinations: LOGS });
    const dir = tempDir();
    const file = join(dir, 'app.log');
    writeFileSync(file, 'already there: not sent\n');
    const sub = await b.stompjs();
    const got = await sub.subscribeConfirmed('/topic/logs.app');
    const cli = await tail(b, [file, '--to', '/topic/logs.app']);

    const lines: Array<[string, string | undefined]> = [
      ['{"level":"warn","msg":"json word"}', 'WARN'],
      ['{"severity":"ERROR","message":"json severity"}', 'ERROR'],
      ['{"level":30,"msg":"pino info"}', 'INFO'],
      ['{"level":60,"msg":"pino fatal"}', 'FATAL'],
      ['2024-05-01T12:00:00.000Z ERROR db connection lost', 'ERROR'],
      ['2024-05-01 12:00:00,123 - app - WARNING - disk at 91%', 'WARN'],
      ['[DEBUG] cache miss', 'DEBUG'],
      ['<11>May  1 12:00:00 host app[42]: syslog err', 'ERROR'],
      ['<14>May  1 12:00:00 host app[42]: syslog info', 'INFO'],
      ['no level in this one', undefined],
    ];
    // Two writes, with one line split across them: only whole lines are sent.
    const text = `${lines.map(([l]) => l).join('\n')}\n`;
    const cut = text.indexOf('WARNING') + 3;
    appendFileSync(file, text.slice(0, cut));
    await new Promise((r) => setTimeout(r, 200));
    appendFileSync(file, text.slice(cut));

    const messages = await got.waitFor(lines.length, WAIT_MS);
    expect(messages.map((m) => m.body)).toEqual(lines.map(([l]) => l));
    expect(messages.map((m) => m.headers.level)).toEqual(lines.map(([, level]) => level));
    for (const m of messages) {
      expect(m.headers.source).toBe('app.log');
      expect(m.headers['content-type']).toBe('text/plain');
    }
    expect(cli.stderr()).not.toMatch(/cannot/);
    expect(await cli.stop()).toBe(0);
  });

  it('--from-start sends what the file holds; --source names the source', async () => {
    const b = await startBroker({ destinations: LOGS });
    const file = join(tempDir(), 'worker.log');
    writeFileSync(file, 'INFO first\r\n\nINFO second\n');
    const sub = await b.stompjs();
    const got = await sub.subscribeConfirmed('/topic/logs.worker');
    const cli = await tail(b, [
      file,
      '--to',
      '/topic/logs.worker',
      '--from-start',
      '--source',
      'w1',
    ]);
    appendFileSync(file, 'ERROR third\n');
    const messages = await got.waitFor(3, WAIT_MS);
    // CRLF is stripped and the blank line is skipped.
    expect(messages.map((m) => m.body)).toEqual(['INFO first', 'INFO second', 'ERROR third']);
    expect(messages.map((m) => m.headers.source)).toEqual(['w1', 'w1', 'w1']);
    expect(await cli.stop()).toBe(0);
  });

  it('keeps following through rotation (rename and recreate) and truncation', async () => {
    const b = await startBroker({ destinations: LOGS });
    const dir = tempDir();
    const file = join(dir, 'rot.log');
    writeFileSync(file, '');
    const sub = await b.stompjs();
    const got = await sub.subscribeConfirmed('/topic/logs.rot');
    const cli = await tail(b, [file, '--to', '/topic/logs.rot']);

    appendFileSync(file, 'one\n');
    await got.waitFor(1, WAIT_MS);
    // Rotate: the writer still finishes a line in the old file, then the new file starts.
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, 'two (old file, after rename)\n');
    writeFileSync(file, 'three (new file)\n');
    await got.waitFor(3, WAIT_MS);
    await cli.waitForStderr(/rot\.log was replaced \(rotated\)/);

    appendFileSync(file, 'four\n');
    await got.waitFor(4, WAIT_MS);
    // copytruncate-style: emptied in place, then written again from the start.
    truncateSync(file, 0);
    await cli.waitForStderr(/rot\.log was truncated/);
    appendFileSync(file, 'five (after truncation)\n');

    const messages = await got.waitFor(5, WAIT_MS);
    expect(messages.map((m) => m.body)).toEqual([
      'one',
      'two (old file, after rename)',
      'three (new file)',
      'four',
      'five (after truncation)',
    ]);
    expect(await cli.stop()).toBe(0);
  });

  it('reports a missing file once, keeps following the others, and picks it up when it appears', async () => {
    const b = await startBroker({ destinations: LOGS });
    const dir = tempDir();
    const present = join(dir, 'present.log');
    const missing = join(dir, 'missing.log');
    writeFileSync(present, '');
    const sub = await b.stompjs();
    const got = await sub.subscribeConfirmed('/topic/logs.>');
    const cli = await tail(b, [present, missing, '--to', '/topic/logs.{name}']);
    expect(cli.stderr()).toMatch(/following 1 of 2 file/);

    appendFileSync(present, 'p1\n');
    await got.waitFor(1, WAIT_MS);
    await new Promise((r) => setTimeout(r, 300)); // several polls of the missing file
    writeFileSync(missing, 'm1 (was there before we saw the file)\n');
    await got.waitFor(2, WAIT_MS);
    appendFileSync(present, 'p2\n');
    appendFileSync(missing, 'm2\n');

    const messages = await got.waitFor(4, WAIT_MS);
    const seen = messages.map((m) => [m.headers.destination, m.headers.source, m.body]);
    expect(seen.slice(0, 2)).toEqual([
      ['/topic/logs.present.log', 'present.log', 'p1'],
      ['/topic/logs.missing.log', 'missing.log', 'm1 (was there before we saw the file)'],
    ]);
    expect(seen.slice(2)).toEqual(
      expect.arrayContaining([
        ['/topic/logs.present.log', 'present.log', 'p2'],
        ['/topic/logs.missing.log', 'missing.log', 'm2'],
      ]),
    );
    const reports = cli.stderr().match(/cannot read .*missing\.log: no such file/g) ?? [];
    expect(reports).toHaveLength(1);
    expect(cli.stderr()).toMatch(/missing\.log is readable now/);
    expect(await cli.stop()).toBe(0);
  });

  it('reconnects after the broker restarts and sends what was not confirmed', async () => {
    const first = await startBroker({ destinations: LOGS });
    const port = first.addr.tcp.port;
    const file = join(tempDir(), 'svc.log');
    writeFileSync(file, '');
    const sub = await first.stompjs();
    const got = await sub.subscribeConfirmed('/topic/logs.svc');
    const cli = await tail(first, [file, '--to', '/topic/logs.svc']);
    appendFileSync(file, 'before restart\n');
    await got.waitFor(1, WAIT_MS);

    await first.close();
    await cli.waitForStderr(/lost the connection/);
    appendFileSync(file, 'during the outage\n');
    const second = await startBroker({ destinations: LOGS, tcpPort: port });
    await cli.waitForStderr(/reconnected/);
    appendFileSync(file, 'after restart\n');
    // History catches whatever arrived before this subscription.
    const sub2 = await second.stompjs();
    const got2 = await sub2.subscribeConfirmed('/topic/logs.svc', { 'x-history-last': '10' });
    const messages = await got2.waitFor(2, WAIT_MS);
    expect(messages.map((m) => m.body)).toEqual(['during the outage', 'after restart']);
    expect(await cli.stop()).toBe(0);
  });

  it("exits non-zero with the broker's text when the broker keeps refusing the destination", async () => {
    const b = await startBroker({ destinations: LOGS });
    const file = join(tempDir(), 'bad.log');
    writeFileSync(file, '');
    const cli = await tail(b, [file, '--to', '/topic/logs.*']);
    const exited = new Promise<number | null>((r) => cli.child.once('exit', r));
    appendFileSync(file, 'cannot go to a wildcard\n');
    expect(await exited).toBe(1);
    expect(cli.stderr()).toMatch(/stompede: the broker refused: .*wildcard/);
  });

  it('fails with one clear line when the broker cannot be reached', async () => {
    const file = join(tempDir(), 'x.log');
    writeFileSync(file, '');
    const cli = runCli(['tail', file, '--to', '/topic/logs.x', '--url', 'stomp://127.0.0.1:1']);
    const code = await new Promise<number | null>((r) => cli.child.once('exit', r));
    expect(code).toBe(1);
    expect(cli.stderr().trim()).toMatch(
      /^stompede: cannot connect to stomp:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/,
    );
  });
});
