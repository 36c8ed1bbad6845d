#!/usr/bin/env node
// Build step after `tsc -b` (issue 9, start-up): bundle the server's two entry
// points, dist/index.js (the library) and dist/cli.js (the `stompede` bin),
// over tsc's output of the same name. Node's ESM loader costs about as much
// per module as the code in it, so ~110 small modules loaded one by one were
// ~40% of an empty broker's start-up CPU. Code splitting keeps each dynamic
// `import()` (lmdb store, ws engine, cluster, admin API, …) its own chunk in
// dist/chunks/, loaded only when used, and the code the two entries share is
// one copy. npm packages stay external (they resolve from node_modules as
// before) except pino, which every start-up loads: bundled, its ~30 CommonJS
// modules cost one compile instead of ~30 resolutions and loads. Its worker
// transports (the only code of it that needs its own files on disk) are
// never used: the broker writes to a stream it is given.
// tsc's other files in dist/ stay: deep imports (bench/lib/fill-store.mjs) and
// the .d.ts types use them.
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const server = join(dirname(fileURLToPath(import.meta.url)), '..', 'server');
const outdir = join(server, 'dist');

const dependencies = Object.keys(
  JSON.parse(readFileSync(join(server, 'package.json'), 'utf8')).dependencies,
);
const BUNDLED = ['pino'];

// Chunk names carry a content hash: drop the last build's so none go stale in the package.
rmSync(join(outdir, 'chunks'), { recursive: true, force: true });

await build({
  entryPoints: [join(server, 'src', 'index.ts'), join(server, 'src', 'cli.ts')],
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // A name marks its subpaths external too (lmdb/…); pino's own dependencies are not listed, so they bundle with it.
  external: dependencies.filter((name) => !BUNDLED.includes(name)),
  // Bundled CommonJS (pino) calls require() for node: built-ins; an ES module has none of its own.
  banner: {
    js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);",
  },
  tsconfig: join(server, 'tsconfig.json'),
  // Error `type` in pino logs and stack traces read constructor and function names.
  keepNames: true,
  sourcemap: true,
  logLevel: 'warning',
});
