/**
 * YAML config files and `stompede config check`, through the built CLI:
 * a good file is ok (exit 0); a bad one names the exact key path (exit 1);
 * unknown keys are errors with a suggestion; `serve --config x.yaml` applies it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CLI_PATH, spawnBroker } from '../../helpers/broker-process.js';

vi.setConfig({ testTimeout: 30_000 });

const dir = mkdtempSync(join(tmpdir(), 'stompede-config-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function check(path: string): Promise<{ code: number; out: string; err: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STOMPEDE_')) env[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_PATH, 'config', 'check', path], { env }, (error, out, err) => {
      resolve({ code: error === null ? 0 : Number(error.code), out, err });
    });
  });
}

describe('stompede config check', () => {
  it('accepts a valid YAML file and a valid JSON file', async () => {
    const yaml = file(
      'good.yaml',
      [
        '# comments are fine',
        'host: 0.0.0.0',
        'limits:',
        '  maxFrameSize: 1048576',
        'destinations:',
        '  - match: /topic/logs.>',
        '    historyMaxMessages: 1000',
        'auth:',
        '  rules:',
        '    - { match: /queue/orders.>, read: [ops] }',
        '',
      ].join('\n'),
    );
    expect(await check(yaml)).toEqual({ code: 0, out: `${yaml}: ok\n`, err: '' });
    const json = file('good.json', '{ "queues": { "defaultPrefetch": 10 } }');
    expect((await check(json)).code).toBe(0);
  });

  it('names the exact key of a bad value, and exits 1', async () => {
    const bad = await check(file('bad.yaml', 'limits:\n  maxFrameSize: abc\n'));
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('limits.maxFrameSize must be an integer >= 1 (got "abc")');
    const inList = await check(
      file(
        'list.yaml',
        'destinations:\n  - match: /topic/a\n  - match: /topic/b\n    maxDepth: -3\n',
      ),
    );
    expect(inList.code).toBe(1);
    expect(inList.err).toContain('destinations[1].maxDepth must be an integer >= 0 (got -3)');
  });

  it('refuses unknown keys, suggesting the nearest known one', async () => {
    const typo = await check(file('typo.yaml', 'limits:\n  maxFrameSise: 1000\n'));
    expect(typo.code).toBe(1);
    expect(typo.err).toContain(
      "unknown config key 'limits.maxFrameSise' (did you mean 'limits.maxFrameSize'?)",
    );
    const nested = await check(file('nested.yaml', 'auth:\n  jwt:\n    secrit: x\n'));
    expect(nested.err).toContain(
      "unknown config key 'auth.jwt.secrit' (did you mean 'auth.jwt.secret'?)",
    );
    const far = await check(file('far.yaml', 'frobnicate: 1\n'));
    expect(far.code).toBe(1);
    expect(far.err).toMatch(/unknown config key 'frobnicate' \(known keys here: host, tcpPort/);
  });

  it('reports YAML syntax errors with their line, and a missing file', async () => {
    const broken = await check(
      file('broken.yaml', 'limits:\n  maxFrameSize: 1\n  maxHeaders: [1\n'),
    );
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/is not valid YAML: .*line \d+/);
    const dup = await check(file('dup.yaml', 'host: a\nhost: b\n'));
    expect(dup.code).toBe(1);
    expect(dup.err).toMatch(/not valid YAML: .*[Uu]nique/);
    const missing = await check(join(dir, 'nope.yaml'));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('cannot read config file');
  });
});

describe('serve --config FILE.yaml', () => {
  it('runs with the settings of a YAML file', async () => {
    const config = file('serve.yaml', 'heartbeat:\n  sendMs: 0\n  receiveMs: 0\n');
    const broker = await spawnBroker({
      dataDir: mkdtempSync(join(dir, 'data-')),
      configFile: config,
    });
    const client = await broker.tcp('yaml');
    const connected = await client.connect({ 'heart-beat': '1000,1000' });
    expect(connected.headers['heart-beat']).toBe('0,0');
    await broker.stop();
  });
});
