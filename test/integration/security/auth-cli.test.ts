/**
 * The CLI side of auth, as child processes of the built CLI: `stompede user
 * add` writes a users file the broker accepts, and `serve` refuses to expose
 * anonymous access beyond loopback unless told to.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import { CLI_PATH } from '../../helpers/broker-process.js';
import { TcpStompClient } from '../../helpers/raw-client.js';
import { expectErrorAndClose } from './auth-support.js';

vi.setConfig({ testTimeout: 30_000 });

interface Run {
  code: Promise<number | null>;
  output(): string;
  kill(): void;
}

function cli(args: string[], stdin?: string): Run {
  // Keep the developer's STOMPEDE_* settings out of the child.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STOMPEDE_')) env[k] = v;
  const child = spawn(process.execPath, [CLI_PATH, ...args], { env, stdio: 'pipe' });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  if (stdin !== undefined) child.stdin.end(stdin);
  const code = new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { code, output: () => out, kill: () => child.kill('SIGTERM') };
}

/** A raw client to the child's TCP port (it listens on every interface; the test talks over loopback). */
async function clientOf(run: Run): Promise<TcpStompClient> {
  const port = Number(/stomp:\/\/0\.0\.0\.0:(\d+)/.exec(run.output())![1]);
  const client = new TcpStompClient('127.0.0.1', port, 'child');
  onTestFinished(() => client.destroy());
  await client.opened;
  return client;
}

async function until(check: () => boolean, what: () => string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stompede-auth-cli-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('stompede user add', () => {
  it('hashes a passcode read from stdin into a new users file the broker accepts', async () => {
    const file = join(tempDir(), 'users.json');
    const add = cli(
      ['user', 'add', 'alice', '--group', 'ops', '--group', 'admins', '--users-file', file],
      'wonderland\n',
    );
    expect(await add.code).toBe(0);
    expect(add.output()).toMatch(/added alice/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as {
      users: Record<string, { passcode: string; groups: string[] }>;
    };
    expect(stored.users.alice!.groups).toEqual(['ops', 'admins']);
    expect(stored.users.alice!.passcode).toMatch(/^scrypt\$N=32768,r=8,p=1\$/);
    expect(readFileSync(file, 'utf8')).not.toContain('wonderland');

    const again = cli(['user', 'add', 'alice', '--users-file', file], 'other\n');
    expect(await again.code).toBe(1);
    expect(again.output()).toMatch(/already exists/);

    const b = await startBroker({ auth: { usersFile: file, throttle: { baseMs: 0 } } });
    await b.connectTcp({ login: 'alice', passcode: 'wonderland' });
    const c = await b.tcp();
    c.send('CONNECT', { 'accept-version': '1.2', login: 'alice', passcode: 'wonderland ' });
    expect((await expectErrorAndClose(c)).headers.message).toBe('authentication failed');
  });

  it('refuses an empty passcode', async () => {
    const file = join(tempDir(), 'users.json');
    const add = cli(['user', 'add', 'bob', '--users-file', file], '');
    expect(await add.code).toBe(1);
    expect(add.output()).toMatch(/no passcode/);
  });
});

describe('stompede serve on a non-loopback host', () => {
  const ARGS = [
    'serve',
    '--host',
    '0.0.0.0',
    '--tcp-port',
    '0',
    '--ws-port',
    'off',
    '--store',
    'memory',
  ];

  it('refuses to start without logins: one line, exit code 2', async () => {
    const run = cli(ARGS);
    expect(await run.code).toBe(2);
    const lines = run.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^stompede: refusing to listen on 0\.0\.0\.0 without authentication: .*--allow-anonymous/,
    );
  });

  it('starts with --allow-anonymous', async () => {
    const run = cli([...ARGS, '--allow-anonymous', '--log-level', 'warn']);
    await until(
      () => /STOMP over TCP:\s+stomp:\/\/0\.0\.0\.0:\d+/.test(run.output()),
      () => `the broker to start:\n${run.output()}`,
    );
    await (await clientOf(run)).connect({});
    // It started: that is the point. (SIGTERM normally ends it with 0; under heavy load it can land
    // before the handler is installed, so the exit status is not asserted.)
    run.kill();
    await run.code;
  });

  it('starts with a users file', async () => {
    const file = join(tempDir(), 'users.json');
    expect(await cli(['user', 'add', 'alice', '--users-file', file], 'pw').code).toBe(0);
    const run = cli([...ARGS, '--users-file', file, '--log-level', 'warn']);
    await until(
      () => /STOMP over TCP:\s+stomp:\/\/0\.0\.0\.0:\d+/.test(run.output()),
      () => `the broker to start:\n${run.output()}`,
    );
    await (await clientOf(run)).connect({ login: 'alice', passcode: 'pw' });
    const anonymous = await clientOf(run);
    anonymous.send('CONNECT', { 'accept-version': '1.2' });
    expect((await expectErrorAndClose(anonymous)).headers.message).toBe('authentication failed');
    // It started: that is the point. (SIGTERM normally ends it with 0; under heavy load it can land
    // before the handler is installed, so the exit status is not asserted.)
    run.kill();
    await run.code;
  });

  it('says what is wrong with an unreadable users file, in one line', async () => {
    const run = cli([...ARGS, '--users-file', join(tempDir(), 'missing.json')]);
    expect(await run.code).toBe(2);
    expect(run.output()).toMatch(/^stompede: cannot read users file .*stompede user add/);
  });
});
