import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LmdbStore } from '../../../server/src/store/lmdb-store.js';
import {
  ARENA_RECORD_MAX,
  RecordArena,
  writeUtf8,
} from '../../../server/src/store/lmdb-write-buffers.js';
import type { StoredMessage } from '../../../server/src/store/store.js';

describe('writeUtf8', () => {
  it('writes what Buffer#write writes, for short and long, ASCII and not', () => {
    const samples = ['', 'a', 'destination', 'x'.repeat(47), 'x'.repeat(48), `${'x'.repeat(46)}é`];
    samples.push('é✓😀', `${'y'.repeat(100)}✓`, 'ascii then ✓ then ascii', '\u0000\n:');
    for (const value of samples) {
      const buf = Buffer.alloc(3 * value.length + 4, 0xee);
      const written = writeUtf8(buf, 2, value);
      expect([value, buf.subarray(2, 2 + written).toString('utf8')]).toEqual([value, value]);
      expect(written).toBe(Buffer.byteLength(value));
      expect(buf[0]).toBe(0xee);
    }
  });
});

describe('RecordArena', () => {
  it('never hands out bytes of a sealed record again, and renews the chunk on request', () => {
    const arena = new RecordArena();
    const first = arena.current();
    expect(first.start).toBe(0);
    arena.seal(40);
    const second = arena.current();
    expect(second).toBe(first);
    expect(second.start).toBe(40);
    arena.seal(90);
    expect(arena.current().start).toBe(90);
    const fresh = arena.renew();
    expect(fresh).not.toBe(first);
    expect(fresh.start).toBe(0);
    expect(arena.current()).toBe(fresh);
  });
});

describe('LmdbStore write buffers across close and reopen', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const message = (seq: number, bodyBytes: number): StoredMessage => ({
    seq,
    id: `id-${seq}`,
    headers: { destination: '/queue/arena', persistent: 'true', n: `${seq}` },
    body: Buffer.alloc(bodyBytes, seq % 251),
    priority: seq % 10,
    expires: 0,
    timestamp: 1_700_000_000_000 + seq,
  });

  it('keeps every record intact when they span several arena chunks, and big ones on their own', async () => {
    dir = mkdtempSync(join(tmpdir(), 'stompede-arena-'));
    let store = await LmdbStore.open(dir);
    // 600 records of ~4 KiB span three 1 MiB chunks; every 100th is bigger than the arena takes.
    const sizeOf = (seq: number) => (seq % 100 === 0 ? ARENA_RECORD_MAX + 10 : 4000 + (seq % 7));
    const writes: Promise<void>[] = [];
    for (let seq = 1; seq <= 600; seq++) {
      writes.push(store.appendQueueMessage(seq % 2 ? 'odd' : 'even', message(seq, sizeOf(seq))));
    }
    await Promise.all(writes);
    // Removals in one turn, both delivery-record forms.
    await Promise.all([
      store.removeQueueMessage('odd', 1),
      store.removeQueueMessage('odd', 3, false),
      store.removeQueueMessage('even', 100),
    ]);
    await store.close();

    store = await LmdbStore.open(dir);
    const state = await store.recover();
    const odd = state.queues.get('odd')!.map((r) => r.message);
    const even = state.queues.get('even')!.map((r) => r.message);
    expect(odd.length).toBe(298);
    expect(even.length).toBe(299);
    expect(odd[0]!.seq).toBe(5);
    expect(even.some((m) => m.seq === 100)).toBe(false);
    for (const m of [...odd, ...even]) expect(m).toEqual(message(m.seq, sizeOf(m.seq)));
    await store.close();
  });

  it('stores records whose headers alone pass the arena limit, and non-ASCII ones, intact', async () => {
    dir = mkdtempSync(join(tmpdir(), 'stompede-arena-'));
    let store = await LmdbStore.open(dir);
    const wide = (seq: number): StoredMessage => ({
      ...message(seq, 64),
      id: `id-é-${seq}`,
      // Every third: a header past what the arena takes (30,000 × 2 bytes, bounded at 3 per unit).
      headers: { destination: '/queue/wide', note: seq % 3 === 0 ? 'é'.repeat(30_000) : `✓${seq}` },
    });
    const writes: Promise<void>[] = [];
    for (let seq = 1; seq <= 60; seq++) writes.push(store.appendQueueMessage('wide', wide(seq)));
    await Promise.all(writes);
    await store.close();

    store = await LmdbStore.open(dir);
    const state = await store.recover();
    const stored = state.queues.get('wide')!.map((r) => r.message);
    expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    for (const m of stored) expect(m).toEqual(wide(m.seq));
    await store.close();
  });
});
