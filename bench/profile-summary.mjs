#!/usr/bin/env node
/**
 * Summarise a `node --cpu-prof` profile (e.g. from `BENCH_CPU_PROF=DIR npm run bench …`):
 * self time per function (top N) and inclusive time of the functions named on
 * the command line. Usage: node bench/profile-summary.mjs FILE.cpuprofile [--top N] [--grep NAME]...
 */
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile [--top N] [--grep NAME]...');
  process.exit(2);
}
const top = Number(args[args.indexOf('--top') + 1]) || 30;
const greps = [];
for (let i = 0; i < args.length; i++) if (args[i] === '--grep') greps.push(args[i + 1]);

const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map();
// timeDeltas[i] is the time before sample i; attribute it to that sample's node.
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const label = (n) => {
  const f = n.callFrame;
  const where = f.url
    ? `${f.url.replace(/^.*\/(server|bench|node_modules)\//, '$1/')}:${f.lineNumber + 1}`
    : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
};
const selfByLabel = new Map();
for (const [id, t] of self) {
  const l = label(byId.get(id));
  selfByLabel.set(l, (selfByLabel.get(l) ?? 0) + t);
}
const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
console.log(`total sampled ${(total / 1000).toFixed(0)} ms`);
console.log('self time:');
for (const [l, t] of [...selfByLabel].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`  ${pct(t)}  ${l}`);
}
if (greps.length > 0) {
  console.log('inclusive time (samples with the function on the stack):');
  for (const g of greps) {
    let t = 0;
    for (const [id, dt] of self) {
      let cur = id;
      while (cur !== undefined) {
        if (byId.get(cur).callFrame.functionName === g) {
          t += dt;
          break;
        }
        cur = parent.get(cur);
      }
    }
    console.log(`  ${pct(t)}  ${g}`);
  }
}
