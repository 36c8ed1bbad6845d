import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { open } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../server/src/store/index.js';
import {
  decodeMessage,
  encodeMessage,
  LMDB_DATABASES,
  LMDB_FILE_NAME,
  LmdbStore,
} from '../../../server/src/store/lmdb-store.js';
import {
  STORE_FORMAT_VERSION,
  type StoredMessage,
  StoreOpenError,
  StoreWriteError,
} from '../../../server/src/store/store.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const isRoot = process.getuid?.() === 0;

function message(seq: number, bodyBytes = 16): StoredMessage {
  return {
    seq,
    id: `msg-${seq}`,
    headers: { destination: '/queue/q', persistent: 'true' },
    body: Buffer.alloc(bodyBytes, seq % 251),
    priority: 4,
    expires: 0,
    timestamp: 1_690_000_000_000 + seq,
  };
}

const seqsOf = (state: Awaited<ReturnType<LmdbStore['recover']>>, queue: string): number[] =>
  (state.queues.get(queue) ?? []).map((r) => r.message.seq);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Open the raw LMDB file as the store lays it out. */
function rawOpen(dataDir: string) {
  return open({ path: join(dataDir, LMDB_FILE_NAME), noSubdir: true, maxDbs: 8 });
}

describe('LmdbStore', () => {
  let dir: string;
  let dataDir: string;
  const stores: LmdbStore[] = [];

  async function openTracked(): Promise<LmdbStore> {
    const store = await LmdbStore.open(dataDir);
    stores.push(store);
    return store;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stompede-lmdb-'));
    dataDir = join(dir, 'data');
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    try {
      chmodSync(dir, 0o700);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the data directory and one file holding the environment', async () => {
    const store = (await openStore('lmdb', join(dataDir, 'nested'))) as LmdbStore;
    stores.push(store);
    expect(store.path).toBe(join(dataDir, 'nested', LMDB_FILE_NAME));
    expect(statSync(store.path).isFile()).toBe(true);
    expect(store.stats().diskBytes).toBeGreaterThanOrEqual(statSync(store.path).size);
  });

  it('keeps everything across close and reopen, including removals', async () => {
    let store = await openTracked();
    await Promise.all(
      [1, 2, 3, 4, 5].map((seq) => store.appendQueueMessage('orders', message(seq))),
    );
    await Promise.all([6, 7].map((seq) => store.appendQueueMessage('orders.eu', message(seq))));
    await Promise.all([8, 9, 10].map((seq) => store.appendHistory('/topic/t', message(seq))));
    await store.recordDelivery('orders', 2, 3);
    await store.recordDelivery('orders', 3, 1);
    await store.saveDurableSubscription({
      key: 'c1:sub',
      clientId: 'c1',
      name: 'sub',
      destination: '/topic/t',
      selector: '',
      queue: 'durable.c1.sub',
      createdAt: 5,
    });
    await store.saveDurableSubscription({
      key: 'c2:gone',
      clientId: 'c2',
      name: 'gone',
      destination: '/topic/t',
      selector: '',
      queue: 'durable.c2.gone',
      createdAt: 6,
    });
    await store.removeQueueMessage('orders', 3);
    await store.clearQueue('orders.eu');
    await store.trimHistory('/topic/t', 8);
    await store.deleteDurableSubscription('c2:gone');
    await store.close();

    store = await openTracked();
    const state = await store.recover();
    expect(seqsOf(state, 'orders')).toEqual([1, 2, 4, 5]);
    expect(state.queues.get('orders')!.map((r) => r.deliveries)).toEqual([0, 3, 0, 0]);
    expect(state.queues.get('orders')![0]!.message).toEqual(message(1));
    expect(state.queues.has('orders.eu')).toBe(false);
    expect(state.history.get('/topic/t')!.map((m) => m.seq)).toEqual([9, 10]);
    expect(state.history.get('/topic/t')![1]).toEqual(message(10));
    expect(state.durableSubscriptions.map((d) => d.key)).toEqual(['c1:sub']);
    expect(state.maxSeq).toBe(10);
    expect(seqsOfBrowse(store.browseQueue('orders', 1, 2))).toEqual([2, 4]);
  });

  const seqsOfBrowse = (messages: StoredMessage[]) => messages.map((m) => m.seq);

  it('recovers queues as an index when asked to (lazy), agreeing with a full recovery', async () => {
    let store = await openTracked();
    const expiring = { ...message(3), priority: 9, expires: 1_800_000_000_123.5 };
    await store.appendQueueMessage('a', message(1));
    await store.appendQueueMessage('a', { ...message(2), priority: 0 });
    await store.appendQueueMessage('a', expiring);
    await store.appendQueueMessage('b', message(7));
    await store.recordDelivery('a', 2, 4);
    await store.close();

    store = await openTracked();
    const lazy = await store.recover({ lazy: true });
    expect(lazy.queues.size).toBe(0);
    expect(lazy.maxSeq).toBe(7);
    const a = lazy.queueIndex!.get('a')!;
    expect({
      seqs: [...a.seqs],
      priorities: [...a.priorities],
      expires: [...a.expires],
      deliveries: [...a.deliveries],
    }).toEqual({
      seqs: [1, 2, 3],
      priorities: [4, 0, 9],
      expires: [0, 0, 1_800_000_000_123.5],
      deliveries: [0, 4, 0],
    });
    expect([...lazy.queueIndex!.get('b')!.seqs]).toEqual([7]);
    // The messages themselves are read back one at a time, synchronously.
    expect(store.browseQueue('a', 2, 1)).toEqual([expiring]);

    const full = await store.recover();
    expect(full.queueIndex).toBeUndefined();
    expect(
      full.queues.get('a')!.map((r) => [r.message.seq, r.message.priority, r.deliveries]),
    ).toEqual([
      [1, 4, 0],
      [2, 0, 4],
      [3, 9, 0],
    ]);
  });

  it('indexes every queue name and seq the way a full recovery reads them (lazy key decoding)', async () => {
    let store = await openTracked();
    // Names that exercise ordered-binary's string forms: escaped control
    // characters, a leading low byte, 64+ characters (written another way),
    // multi-byte UTF-8, and neighbours that share a prefix or a length (q:c, q:d).
    const names = [
      'q:a',
      'q:ab',
      'q:b',
      'q:c',
      'q:d',
      'q:\u0001\u0004x',
      '\u001bq',
      'q:é✓😀',
      `q:${'long'.repeat(20)}`,
      `q:${'long'.repeat(20)}z`,
      '',
    ];
    const seqs = [1, 2, 255, 256, 65_537, 2 ** 32 + 3, Number.MAX_SAFE_INTEGER];
    let n = 0;
    for (const name of names) {
      for (const seq of seqs) {
        const m = {
          ...message(seq),
          priority: n % 10,
          expires: n % 3 === 0 ? 0 : 1_800_000_000_000 + n,
        };
        await store.appendQueueMessage(name, m);
        if (n % 4 === 1) await store.recordDelivery(name, seq, n);
        n++;
      }
    }
    await store.close();

    store = await openTracked();
    const lazy = await store.recover({ lazy: true });
    const full = await store.recover();
    expect([...lazy.queueIndex!.keys()].sort()).toEqual([...full.queues.keys()].sort());
    expect(full.queues.size).toBe(names.length);
    for (const [name, recovered] of full.queues) {
      const index = lazy.queueIndex!.get(name)!;
      expect({
        seqs: [...index.seqs],
        priorities: [...index.priorities],
        expires: [...index.expires],
        deliveries: [...index.deliveries],
      }).toEqual({
        seqs: recovered.map((r) => r.message.seq),
        priorities: recovered.map((r) => r.message.priority),
        expires: recovered.map((r) => r.message.expires),
        deliveries: recovered.map((r) => r.deliveries),
      });
    }
    expect(lazy.maxSeq).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('stamps a new file with the format version', async () => {
    const store = await openTracked();
    await store.close();
    const root = rawOpen(dataDir);
    expect(root.openDB(LMDB_DATABASES.meta).get('formatVersion')).toBe(STORE_FORMAT_VERSION);
    await root.close();
  });

  it('refuses a file written by a newer format', async () => {
    await (await openTracked()).close();
    const root = rawOpen(dataDir);
    await root.openDB(LMDB_DATABASES.meta).put('formatVersion', STORE_FORMAT_VERSION + 1);
    await root.close();

    const err = await rejection(LmdbStore.open(dataDir));
    expect(err).toBeInstanceOf(StoreOpenError);
    const openError = err as StoreOpenError;
    expect(openError.path).toBe(join(dataDir, LMDB_FILE_NAME));
    expect(openError.message).toContain(join(dataDir, LMDB_FILE_NAME));
    expect(openError.message).toContain(
      `was written by a newer Stompede (format ${STORE_FORMAT_VERSION + 1}; this build reads ${STORE_FORMAT_VERSION}). Upgrade Stompede, or point --data-dir at another directory.`,
    );
  });

  it('refuses an unknown format stamp, and an LMDB file that is not a Stompede store', async () => {
    await (await openTracked()).close();
    let root = rawOpen(dataDir);
    await root.openDB(LMDB_DATABASES.meta).put('formatVersion', 'banana');
    await root.close();
    let err = await rejection(LmdbStore.open(dataDir));
    expect(err).toBeInstanceOf(StoreOpenError);
    expect((err as Error).message).toMatch(
      /unknown store format \(format "banana"; this build reads 1\)/,
    );

    const other = join(dir, 'other');
    root = rawOpen(other);
    await root.openDB({ name: 'something-else' }).put('k', 'v');
    await root.close();
    err = await rejection(LmdbStore.open(other));
    expect(err).toBeInstanceOf(StoreOpenError);
    expect((err as Error).message).toMatch(/unknown store format \(format missing/);
  });

  it.each([
    ['garbage', () => Buffer.alloc(20_000, 7)],
    ['zeros', () => Buffer.alloc(20_000, 0)],
    ['text', () => Buffer.from('hello, this is not a database\n')],
  ])(
    'refuses a corrupt data file (%s) with a clear error instead of crashing',
    async (_, bytes) => {
      await (await openTracked()).close();
      const path = join(dataDir, LMDB_FILE_NAME);
      writeFileSync(path, bytes());
      const err = await rejection(LmdbStore.open(dataDir));
      expect(err).toBeInstanceOf(StoreOpenError);
      expect((err as StoreOpenError).path).toBe(path);
      expect((err as Error).message).toContain(path);
      expect((err as Error).message).toMatch(/restore it from a backup, or move it away/i);
    },
  );

  it('refuses a truncated data file', async () => {
    const store = await openTracked();
    await store.appendQueueMessage('q', message(1));
    await store.close();
    const path = join(dataDir, LMDB_FILE_NAME);
    writeFileSync(path, readFileSync(path).subarray(0, 100));
    const err = await rejection(LmdbStore.open(dataDir));
    expect(err).toBeInstanceOf(StoreOpenError);
    expect((err as Error).message).toMatch(/restore it from a backup/i);
  });

  it('refuses a data directory it cannot write', async () => {
    let target: string;
    if (isRoot) {
      // root ignores permission bits: make mkdir fail by nesting under a regular file.
      writeFileSync(join(dir, 'afile'), 'not a directory');
      target = join(dir, 'afile', 'data');
    } else {
      chmodSync(dir, 0o500);
      target = join(dir, 'data');
    }
    const err = await rejection(openStore('lmdb', target));
    expect(err).toBeInstanceOf(StoreOpenError);
    expect((err as StoreOpenError).path).toBe(target);
    expect((err as Error).message).toContain(target);
    expect((err as Error).message).toMatch(/fix its permissions, or choose another --data-dir/i);
  });

  it('counts one commit per batch and times it', async () => {
    const store = await openTracked();
    const before = store.stats();
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => store.appendQueueMessage('q', message(i + 1))),
    );
    await Promise.all(Array.from({ length: 1000 }, (_, i) => store.removeQueueMessage('q', i + 1)));
    const after = store.stats();
    expect(after.commits - before.commits).toBe(2);
    expect(after.writes - before.writes).toBe(1000 + 2000);
    expect(after.lastCommitMs).toBeGreaterThan(0);
  });

  it('rejects a write it cannot encode as a key, and carries on', async () => {
    const store = await openTracked();
    const err = await rejection(store.appendQueueMessage('q'.repeat(5000), message(1)));
    expect(err).toBeInstanceOf(StoreWriteError);
    expect((err as Error).message).toMatch(/key size/i);
    await store.appendQueueMessage('q', message(1));
    expect(store.browseQueue('q', 0, 10)).toHaveLength(1);
  });

  it.skipIf(!hasPrlimit())(
    'rejects writes whose commit fails (file size limit) with StoreWriteError, and keeps serving reads',
    async () => {
      const store = await openTracked();
      await Promise.all([1, 2, 3].map((seq) => store.appendQueueMessage('q', message(seq))));
      const commitsBefore = store.stats().commits;
      // Cap this process's file size a little above the current data file, so a
      // big batch cannot be written: LMDB's write fails as a full disk would.
      const limit = statSync(store.path).size + 64 * 1024;
      setFileSizeLimit(limit);
      let failure: unknown;
      try {
        for (let round = 0; round < 20 && failure === undefined; round++) {
          const batch = Array.from({ length: 200 }, (_, i) =>
            store.appendQueueMessage('big', message(1000 + round * 200 + i, 4096)),
          );
          const results = await Promise.allSettled(batch);
          const rejected = results.find((r) => r.status === 'rejected');
          if (rejected) {
            failure = rejected.reason;
            // every write of a failed batch fails
            expect(results.every((r) => r.status === 'rejected')).toBe(true);
          }
        }
      } finally {
        setFileSizeLimit('unlimited');
      }
      expect(failure).toBeInstanceOf(StoreWriteError);
      expect((failure as Error).message).toContain(`could not commit to ${store.path}`);
      expect((failure as Error).message).toMatch(/error/i);
      expect((failure as Error).cause).toBeDefined();
      expect(store.stats().commits).toBe(commitsBefore);

      // Reads still work, and show only committed data.
      expect(store.browseQueue('q', 0, 10).map((m) => m.seq)).toEqual([1, 2, 3]);
      expect(store.browseQueue('big', 0, 10)).toEqual([]);
      // With room again, writes succeed.
      await store.appendQueueMessage('q', message(4));
      expect(seqsOf(await store.recover(), 'q')).toEqual([1, 2, 3, 4]);
    },
  );

  it('loses no acknowledged write when the writer is killed with SIGKILL', async () => {
    // Create the file (and format stamp) as the store does, then hand it to a child.
    await (await openTracked()).close();
    const payload = join(dir, 'payload.bin');
    writeFileSync(payload, encodeMessage(message(0, 256)));
    const script = `
      import { open } from 'lmdb';
      import { readFileSync } from 'node:fs';
      const root = open({ path: process.env.STORE_PATH, noSubdir: true, maxDbs: 8 });
      const messages = root.openDB(${JSON.stringify(LMDB_DATABASES.messages)});
      const value = readFileSync(process.env.PAYLOAD);
      const inflight = new Set();
      for (let seq = 1; ; seq++) {
        const done = messages.put(['killed', seq], value).then(() => {
          process.stdout.write('ok ' + seq + '\\n');
          inflight.delete(done);
        });
        inflight.add(done);
        if (inflight.size >= 16) await Promise.race(inflight);
      }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      env: { ...process.env, STORE_PATH: join(dataDir, LMDB_FILE_NAME), PAYLOAD: payload },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: number[] = [];
    let stderr = '';
    let buffered = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((done) =>
      child.on('close', (_code, signal) => done(signal)),
    );
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const match = /^ok (\d+)$/.exec(line);
        if (match) acked.push(Number(match[1]));
      }
      if (acked.length >= 200 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    const signal = await exited;
    expect(stderr).toBe('');
    expect(signal).toBe('SIGKILL');
    expect(acked.length).toBeGreaterThanOrEqual(200);

    const store = await openTracked();
    const state = await store.recover();
    const present = new Set(seqsOf(state, 'killed'));
    const missing = acked.filter((seq) => !present.has(seq));
    expect(missing).toEqual([]);
    for (const recovered of state.queues.get('killed')!) {
      expect(recovered.message.id).toBe('msg-0');
      expect(recovered.message.body).toEqual(message(0, 256).body);
    }
  });

  it('reuses freed space: steady append/remove traffic does not grow the file', async () => {
    const store = await openTracked();
    const sizes: number[] = [];
    const rounds = 10;
    const perRound = 2000;
    let seq = 0;
    for (let round = 0; round < rounds; round++) {
      const first = seq + 1;
      await Promise.all(
        Array.from({ length: perRound }, () =>
          store.appendQueueMessage('steady', message(++seq, 1024)),
        ),
      );
      await Promise.all(
        Array.from({ length: perRound }, (_, i) => store.removeQueueMessage('steady', first + i)),
      );
      sizes.push(statSync(store.path).size);
    }
    expect(store.browseQueue('steady', 0, 1)).toEqual([]);
    // 20,000 KiB went through; without reuse the file would pass 20 MiB.
    expect(sizes[rounds - 1]!).toBeLessThanOrEqual(sizes[2]! * 1.5);
    expect(sizes[rounds - 1]!).toBeLessThan(10 * 1024 * 1024);
  });
});

function hasPrlimit(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Set this process's soft RLIMIT_FSIZE (Node ignores SIGXFSZ, so oversize writes fail with an error). */
function setFileSizeLimit(limit: number | 'unlimited'): void {
  execFileSync('prlimit', ['--pid', String(process.pid), `--fsize=${limit}:unlimited`]);
}

describe('encodeMessage', () => {
  it('writes exactly the documented layout, and decodeMessage reads back every field, with any UTF-8', () => {
    const headers = Object.assign(Object.create(null) as Record<string, string>, {
      destination: '/queue/é',
      'x-😀': 'a\u0000b\r\nc',
      empty: '',
      ascii: 'plain',
      // Past the encoder's first scratch buffer, so it must grow.
      long: 'é'.repeat(3000),
    });
    for (const body of [Buffer.from('body\0bytes'), Buffer.alloc(0)]) {
      const stored: StoredMessage = {
        seq: 9,
        id: 'id-€',
        headers,
        body,
        priority: 7,
        expires: 1_700_000_000_123.5,
        timestamp: 1_690_000_000_000,
      };
      const record = encodeMessage(stored);
      let size = 1 + 8 + 8 + 4 + Buffer.byteLength(stored.id) + 4 + body.length;
      for (const [name, value] of Object.entries(headers))
        size += 8 + Buffer.byteLength(name) + Buffer.byteLength(value);
      expect(record.length).toBe(size);
      const back = decodeMessage(9, Buffer.from(record));
      expect(back.id).toBe(stored.id);
      expect(back.priority).toBe(7);
      expect(back.expires).toBe(stored.expires);
      expect(back.timestamp).toBe(stored.timestamp);
      expect({ ...back.headers }).toEqual({ ...headers });
      expect(Object.keys(back.headers)).toEqual(Object.keys(headers));
      expect(Buffer.compare(back.body, body)).toBe(0);
    }
  });
});
