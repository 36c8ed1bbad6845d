/**
 * Main-thread cost of the LMDB store's write path, in process: time spent
 * inside appendQueueMessage and removeQueueMessage (the JavaScript side:
 * record encoding, key encoding, lmdb-js's instruction writing), 200 writes
 * per event turn as a busy broker issues them. The commit itself runs on
 * lmdb-js's writer thread and is not timed. Usage (after `npm run build`):
 *   node bench/store-append.mjs [REPO_ROOT]
 * REPO_ROOT defaults to this checkout; pass another built checkout (e.g. a
 * `git archive` of an older commit) to compare, alternating runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url)));
const storeModule = pathToFileURL(join(root, 'server/dist/store/lmdb-store.js')).href;
const { LmdbStore } = await import(storeModule);

const TURNS = 1500;
const PER_TURN = 200;
const dir = mkdtempSync(join(tmpdir(), 'stompede-store-append-'));
const store = await LmdbStore.open(dir);
const body = Buffer.alloc(128, 7);
const messageOf = (seq) => ({
  seq,
  id: `ID:stompede-bench-${seq}`,
  headers: {
    destination: '/queue/bench',
    persistent: 'true',
    'content-length': '128',
    'message-id': `m-${seq}`,
  },
  body,
  priority: 4,
  expires: 0,
  timestamp: Date.now(),
});

try {
  let seq = 0;
  let appendNs = 0n;
  let removeNs = 0n;
  for (let turn = 0; turn < TURNS; turn++) {
    const batch = [];
    for (let i = 0; i < PER_TURN; i++) batch.push(messageOf(++seq));
    let started = process.hrtime.bigint();
    let written;
    for (const message of batch) written = store.appendQueueMessage('bench', message);
    appendNs += process.hrtime.bigint() - started;
    await written;
    started = process.hrtime.bigint();
    for (const message of batch) written = store.removeQueueMessage('bench', message.seq, false);
    removeNs += process.hrtime.bigint() - started;
    await written;
  }
  const count = BigInt(TURNS * PER_TURN);
  console.log(
    `${root}: append ${appendNs / count} ns, remove ${removeNs / count} ns (main thread, per write; ${count} writes)`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
