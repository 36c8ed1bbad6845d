import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const serverVersion = (
  JSON.parse(readFileSync(join(root, 'server', 'package.json'), 'utf8')) as { version: string }
).version;

/**
 * The published packages must work on their own: pack `stompede` and
 * `stompede-client` with npm pack (from the built workspace), install the
 * tarballs into an empty folder, and use them from there.
 */
describe('packed npm packages', () => {
  let dir: string;
  let broker: ChildProcess | undefined;
  let packedFiles: string[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stompede-pack-'));
    const packed = execFileSync(
      'npm',
      [
        'pack',
        '--json',
        '--pack-destination',
        dir,
        '--workspace',
        'server',
        '--workspace',
        'client',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    const packs = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
    const tarballs = packs.map((p) => join(dir, p.filename));
    packedFiles = packs.flatMap((p) => p.files.map((f) => f.path));
    expect(tarballs).toHaveLength(2);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'pack-check', private: true, type: 'module' }),
    );
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs, 'ws@8'],
      {
        cwd: dir,
        stdio: 'pipe',
      },
    );
  }, 240_000);

  afterAll(() => {
    broker?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('ships only built files and declares engines, bin and exports', () => {
    const pkg = JSON.parse(
      readFileSync(join(dir, 'node_modules', 'stompede', 'package.json'), 'utf8'),
    ) as {
      bin: Record<string, string>;
      engines: Record<string, string>;
      exports: Record<string, unknown>;
    };
    expect(pkg.bin.stompede).toBe('./dist/cli.js');
    expect(pkg.engines.node).toMatch(/>=\s*20/);
    expect(Object.keys(pkg.exports)).toContain('.');
    const stray = packedFiles.filter(
      (f) => !/^(dist\/|console\/|package\.json$|README\.md$|LICENSE$)/.test(f),
    );
    expect(stray).toEqual([]);
    expect(packedFiles).toContain('dist/cli.js');
    expect(packedFiles).toContain('dist/index.d.ts');
    // The web console ships as plain files, served at /admin/.
    expect(packedFiles).toContain('console/index.html');
    expect(packedFiles).toContain('console/js/app.js');
    const listing = execFileSync('npm', ['ls', '--all', '--parseable'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(listing).toContain('stompede-client');
  });

  it('runs `stompede --version` from the installed package', () => {
    const out = execFileSync(join(dir, 'node_modules', '.bin', 'stompede'), ['--version'], {
      encoding: 'utf8',
    });
    expect(out.trim()).toBe(serverVersion);
  });

  it('round-trips a message through the installed broker with the installed client', async () => {
    broker = spawn(
      join(dir, 'node_modules', '.bin', 'stompede'),
      ['serve', '--tcp-port', '0', '--ws-port', '0', '--log-level', 'warn'],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const wsUrl = await new Promise<string>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`broker did not start: ${seen}`)), 20_000);
      broker!.stderr!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /ws:\/\/[\d.]+:\d+\/stomp/.exec(seen);
        if (match) {
          clearTimeout(timer);
          resolve(match[0]);
        }
      });
      broker!.on('exit', (code) => reject(new Error(`broker exited with ${code}: ${seen}`)));
    });
    const script = `
      import { connect } from 'stompede-client';
      const client = await connect({ url: ${JSON.stringify(wsUrl)} });
      const got = new Promise((resolve) => client.subscribe('/queue/pack-check', (m) => resolve(m.body)));
      await client.publish('/queue/pack-check', { hello: 'from the tarball' }, { receipt: true });
      console.log(JSON.stringify(await got));
      await client.close();
    `;
    writeFileSync(join(dir, 'roundtrip.mjs'), script);
    const out = execFileSync(process.execPath, ['roundtrip.mjs'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(JSON.parse(out.trim())).toEqual({ hello: 'from the tarball' });
    const page = await fetch(`${wsUrl.replace(/^ws/, 'http').replace(/\/stomp$/, '')}/admin/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Stompede console</title>');
  }, 60_000);
});
