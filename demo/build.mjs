#!/usr/bin/env node
// `npm run build -w demo`: the demo itself is plain ES modules and needs no
// bundling; this only copies the browser client bundle into public/vendor/,
// where index.html loads it (/vendor/stompede.iife.js). The @stomp/stompjs
// UMD bundle is copied beside it as a fallback for working on the demo
// before the client is built. A missing bundle is reported, not fatal: the
// page says what to do.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const demo = dirname(fileURLToPath(import.meta.url));
const vendor = join(demo, 'public', 'vendor');
const require = createRequire(import.meta.url);

function stompjsUmd() {
  try {
    const main = require.resolve('@stomp/stompjs');
    // …/@stomp/stompjs/bundles/stomp.umd.js beside …/esm6/index.js
    const umd = join(dirname(main), '..', 'bundles', 'stomp.umd.js');
    return existsSync(umd) ? umd : null;
  } catch {
    return null;
  }
}

const bundles = [
  {
    from: join(demo, '..', 'client', 'dist', 'stompede.iife.js'),
    to: 'stompede.iife.js',
    missing: 'build the client first (npm run build -w client, or npm run build)',
  },
  { from: stompjsUmd(), to: 'stomp.umd.js', missing: 'npm install @stomp/stompjs' },
];

mkdirSync(vendor, { recursive: true });
for (const bundle of bundles) {
  const target = join(vendor, bundle.to);
  if (bundle.from !== null && existsSync(bundle.from)) {
    copyFileSync(bundle.from, target);
    process.stdout.write(`demo: ${relative(process.cwd(), target)}\n`);
    if (existsSync(`${bundle.from}.map`)) copyFileSync(`${bundle.from}.map`, `${target}.map`);
  } else {
    process.stdout.write(`demo: no ${bundle.to} to copy: ${bundle.missing}\n`);
  }
}
