/**
 * The built server is an esbuild bundle whose code may run from dist/ or a
 * chunk in dist/chunks/ (issue 9, start-up). Files found beside the package
 * (package.json for the version, the console, the source tree's demo) are
 * located from the package root, so they must still be found from there.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const INDEX_URL = new URL('../../server/dist/index.js', import.meta.url).href;
const PACKAGE_JSON = new URL('../../server/package.json', import.meta.url);
const run = promisify(execFile);

describe('built package paths', () => {
  it('reports the package version and serves the console and the demo from the built entry', async () => {
    const script = `
      const { createBroker, VERSION } = await import(${JSON.stringify(INDEX_URL)});
      const broker = createBroker({ host: '127.0.0.1', tcpPort: 0, wsPort: 0, logLevel: 'silent' });
      const { ws } = await broker.listen();
      const base = 'http://127.0.0.1:' + ws.port;
      const get = async (path) => {
        const res = await fetch(base + path);
        return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
      };
      const result = { version: VERSION, console: await get('/admin/'), demo: await get('/') };
      await broker.close();
      process.stdout.write(JSON.stringify(result));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 60_000,
    });
    const result = JSON.parse(stdout);
    const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string };
    expect(result.version).toBe(pkg.version);
    expect(result.console.status).toBe(200);
    expect(result.console.type).toMatch(/text\/html/);
    expect(result.console.body).toBe(
      readFileSync(new URL('../../server/console/index.html', import.meta.url), 'utf8'),
    );
    expect(result.demo.status).toBe(200);
    expect(result.demo.body).toBe(
      readFileSync(new URL('../../demo/public/index.html', import.meta.url), 'utf8'),
    );
  });

  it('builds dist/index.js and dist/cli.js as bundles whose lazy features are separate chunks', () => {
    const index = readFileSync(new URL('../../server/dist/index.js', import.meta.url), 'utf8');
    const cli = readFileSync(new URL('../../server/dist/cli.js', import.meta.url), 'utf8');
    expect(cli.startsWith('#!/usr/bin/env node\n')).toBe(true);
    // One file holds the broker's start path: tsc's per-module imports are gone.
    expect(index).not.toMatch(/from ["']\.\/server\.js["']/);
    expect(index).toMatch(/StompedeBroker = class/);
    // The lmdb store stays a dynamic import of its own chunk.
    expect(index).toMatch(/import\(["']\.\/chunks\/lmdb-store-[A-Z0-9]+\.js["']\)/);
  });
});
