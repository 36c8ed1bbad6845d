/**
 * Start-up loads only what the config uses (issue 9: start-up ≤ 300 ms).
 * The built package is started in a child process and asked which
 * CommonJS packages it loaded: the optional features' dependencies (the
 * cluster's ioredis, prom-client, yaml, the ws engine, lmdb-js) must stay
 * unloaded until configured or first used. A static import added anywhere
 * on the start-up path would bring one back and fail here.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const INDEX_URL = new URL('../../server/dist/index.js', import.meta.url).href;
const run = promisify(execFile);

/** Start a broker from the built package with `config`, optionally scrape /metrics, and list the packages loaded. */
async function packagesLoaded(config: object, scrape = false): Promise<string[]> {
  const script = `
    import { createRequire } from 'node:module';
    const { createBroker } = await import(${JSON.stringify(INDEX_URL)});
    const broker = createBroker(${JSON.stringify(config)});
    const { ws } = await broker.listen();
    if (${scrape}) {
      const res = await fetch('http://127.0.0.1:' + ws.port + '/metrics');
      if (res.status !== 200) throw new Error('metrics answered ' + res.status);
    }
    const names = new Set();
    for (const file of Object.keys(createRequire(import.meta.url).cache)) {
      const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file);
      if (match) names.add(match[1]);
    }
    await broker.close();
    process.stdout.write(JSON.stringify([...names].sort()));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 60_000,
  });
  return JSON.parse(stdout) as string[];
}

const base = { host: '127.0.0.1', tcpPort: 0, wsPort: 0, logLevel: 'silent' };
const OPTIONAL = ['ioredis', 'prom-client', 'yaml', 'ws', 'lmdb', '@lmdb/lmdb-linux-x64'];

describe('start-up imports', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('leaves the cluster, metrics, YAML, ws-engine and LMDB packages unloaded for a default memory-store broker', async () => {
    const loaded = await packagesLoaded({ ...base, store: 'memory' });
    expect(loaded).toContain('pino');
    expect(loaded.filter((name) => OPTIONAL.includes(name))).toEqual([]);
  });

  it('loads each of them once its feature is used: lmdb store, ws engine, a metrics scrape', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stompede-startup-imports-'));
    dirs.push(dataDir);
    const loaded = await packagesLoaded(
      { ...base, store: 'lmdb', dataDir, wsTransport: 'ws' },
      true,
    );
    expect(loaded).toEqual(expect.arrayContaining(['ws', 'prom-client', 'lmdb']));
    expect(loaded.filter((name) => ['ioredis', 'yaml'].includes(name))).toEqual([]);
  });
});
