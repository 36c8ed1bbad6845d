#!/usr/bin/env node
// `npm start`: build when the sources are newer than the build, then run `stompede serve`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const cli = join(root, 'server', 'dist', 'cli.js');
const sources = ['server/src', 'client/src'].map((d) => join(root, d));
const stale = !existsSync(cli) || Math.max(...sources.map(newestMtime)) > statSync(cli).mtimeMs;
if (!existsSync(join(root, 'node_modules'))) {
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (install.status !== 0) process.exit(install.status ?? 1);
}
if (stale) {
  const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const args = process.argv.slice(2);
const serve = spawnSync(process.execPath, [cli, ...(args.length > 0 ? args : ['serve'])], {
  stdio: 'inherit',
});
process.exit(serve.status ?? 1);
