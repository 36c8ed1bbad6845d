/**
 * The lmdb store loads lmdb-js through its CommonJS build only
 * (server/src/store/lmdb-module.ts; issue 9, start-up with an empty lmdb
 * store). A value import of 'lmdb' added anywhere would load its ES module
 * build as well: two copies of lmdb-js, msgpackr and ordered-binary, and
 * the start-up cost the CommonJS build saves, paid twice. The built package
 * is started in a child process whose ES module resolutions are recorded by
 * a module.register hook (Node 20's hooks see import, not require).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const INDEX_URL = new URL('../../server/dist/index.js', import.meta.url).href;
const run = promisify(execFile);

const HOOKS = `
  let port;
  export function initialize(data) { port = data.port; }
  export async function resolve(specifier, context, next) {
    const result = await next(specifier, context);
    if (/\\/node_modules\\/(lmdb|msgpackr|ordered-binary)\\//.test(result.url)) port.postMessage(result.url);
    return result;
  }
`;

describe('lmdb-js loading', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('opens an lmdb store with the CommonJS build of lmdb-js and never imports its ES module build', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stompede-lmdb-load-'));
    dirs.push(dataDir);
    const script = `
      import { createRequire, register } from 'node:module';
      import { MessageChannel } from 'node:worker_threads';
      const { port1, port2 } = new MessageChannel();
      const imported = [];
      port1.on('message', (url) => imported.push(url));
      port1.unref();
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}), {
        data: { port: port2 },
        transferList: [port2],
      });
      // Messages from the hooks thread arrive a turn later.
      const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
      const { createBroker } = await import(${JSON.stringify(INDEX_URL)});
      const broker = createBroker({
        host: '127.0.0.1', tcpPort: 0, wsPort: null, logLevel: 'silent',
        store: 'lmdb', dataDir: ${JSON.stringify(dataDir)},
      });
      await broker.listen();
      const storeKind = broker.broker.store.kind;
      await broker.close();
      await settle();
      const byBroker = [...imported];
      const required = Object.keys(createRequire(import.meta.url).cache).filter((file) =>
        /node_modules\\/(lmdb|msgpackr)\\//.test(file),
      );
      // The detector itself: an ES import of lmdb-js is seen.
      await import(createRequire(${JSON.stringify(INDEX_URL)}).resolve('lmdb').replace(/dist\\/index\\.cjs$/, 'node-index.js'));
      await settle();
      process.stdout.write(JSON.stringify({ storeKind, byBroker, required, control: imported.slice(byBroker.length) }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 60_000,
    });
    const result = JSON.parse(stdout) as {
      storeKind: string;
      byBroker: string[];
      required: string[];
      control: string[];
    };
    expect(result.storeKind).toBe('lmdb');
    expect(result.byBroker).toEqual([]);
    expect(result.required.some((file) => file.endsWith('/lmdb/dist/index.cjs'))).toBe(true);
    expect(result.required.some((file) => file.endsWith('/msgpackr/dist/node.cjs'))).toBe(true);
    expect(result.control.some((url) => url.includes('/node_modules/msgpackr/'))).toBe(true);
  });
});
