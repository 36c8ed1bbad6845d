#!/usr/bin/env node
/**
 * Fill a fresh LMDB data directory with N stored queue messages, as the
 * broker would have written them (same store code, same record format), for
 * the start-up scenario. Usage: node bench/lib/fill-store.mjs DATADIR N [QUEUE]
 * Writes in batches of 10,000 per turn (lmdb-js commits each turn's writes
 * together), so 1,000,000 messages take seconds, not a broker run.
 */
const distUrl = new URL('../../server/dist/store/lmdb-store.js', import.meta.url);
const [dataDir, countText, queueName = 'bench-startup'] = process.argv.slice(2);
const count = Number(countText);
if (!dataDir || !Number.isInteger(count) || count <= 0 || count > 10_000_000) {
  console.error('usage: node bench/lib/fill-store.mjs DATADIR N [QUEUE]  (1 <= N <= 10,000,000)');
  process.exit(2);
}
const { LmdbStore } = await import(distUrl.href);
const store = await LmdbStore.open(dataDir);
const body = Buffer.alloc(128, 0x78);
const now = Date.now();
// The broker's store names queues `q:NAME` (broker.ts QUEUE_PREFIX).
const queue = `q:${queueName}`;
const BATCH = 10_000;
for (let first = 1; first <= count; first += BATCH) {
  const writes = [];
  for (let seq = first; seq < first + BATCH && seq <= count; seq++) {
    writes.push(
      store.appendQueueMessage(queue, {
        seq,
        id: `fill-${seq}`,
        headers: {
          destination: `/queue/${queueName}`,
          'message-id': `fill-${seq}`,
          persistent: 'true',
          timestamp: String(now),
          'content-type': 'text/plain',
        },
        body,
        priority: 4,
        expires: 0,
        timestamp: now,
      }),
    );
  }
  await Promise.all(writes);
}
await store.close();
process.stdout.write(`filled ${count}\n`);
