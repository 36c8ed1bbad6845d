#!/usr/bin/env node
// `npm run build -w client` (the root build runs it after `tsc -b`):
//   dist/index.js + .d.ts  ES modules and types, from tsc (run here too, so a
//                          workspace-only build is complete; a no-op when fresh)
//   dist/stompede.iife.js  one self-contained script for <script> tags: global
//                          `Stompede` (connect, StompedeClient, …), stompjs inside
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const pkg = require('./package.json');

const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', here], {
  stdio: 'inherit',
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

const outfile = join(here, 'dist', 'stompede.iife.js');
await build({
  entryPoints: [join(here, 'src', 'index.ts')],
  outfile,
  bundle: true,
  format: 'iife',
  globalName: 'Stompede',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  banner: {
    js: `/*! ${pkg.name} ${pkg.version} (MIT) | bundles @stomp/stompjs (Apache-2.0) | global: Stompede */`,
  },
  logLevel: 'warning',
});
const kib = (statSync(outfile).size / 1024).toFixed(1);
process.stdout.write(`client: ${relative(process.cwd(), outfile)} (${kib} KiB)\n`);
