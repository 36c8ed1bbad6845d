import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type StoreKind } from '../../../server/src/store/index.js';
import {
  type DurableSubscriptionRecord,
  type Store,
  type StoredMessage,
  StoreWriteError,
} from '../../../server/src/store/store.js';

function message(seq: number, extra: Partial<StoredMessage> = {}): StoredMessage {
  return {
    seq,
    id: `msg-${seq}`,
    headers: { destination: '/queue/q', 'content-type': 'text/plain', 'x-seq': String(seq) },
    body: Buffer.from(`body ${seq} ✓`),
    priority: seq % 10,
    expires: seq % 2 === 0 ? 0 : 1_700_000_000_000 + seq,
    timestamp: 1_690_000_000_000 + seq,
    ...extra,
  };
}

function durable(clientId: string, name: string): DurableSubscriptionRecord {
  return {
    key: `${clientId}:${name}`,
    clientId,
    name,
    destination: '/topic/prices.>',
    selector: "region = 'EU'",
    queue: `durable.${clientId}.${name}`,
    createdAt: 1_690_000_000_000,
  };
}

const seqs = (messages: StoredMessage[]): number[] => messages.map((m) => m.seq);

describe.each<{ kind: StoreKind }>([{ kind: 'memory' }, { kind: 'lmdb' }])(
  '$kind store contract',
  ({ kind }) => {
    let dir: string;
    let store: Store;

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stompede-store-'));
      store = await openStore(kind, join(dir, 'data'));
    });

    afterEach(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('describes itself', () => {
      expect(store.kind).toBe(kind);
      expect(store.durable).toBe(kind === 'lmdb');
    });

    it('starts empty', async () => {
      const state = await store.recover();
      expect(state.queues.size).toBe(0);
      expect(state.history.size).toBe(0);
      expect(state.durableSubscriptions).toEqual([]);
      expect(state.maxSeq).toBe(0);
      expect(store.browseQueue('q', 0, 10)).toEqual([]);
    });

    it('appends and browses in seq order, with every field intact', async () => {
      const written = [1, 2, 3, 4, 5].map((seq) => message(seq));
      await Promise.all(written.map((m) => store.appendQueueMessage('q', m)));

      const browsed = store.browseQueue('q', 0, 100);
      expect(browsed).toEqual(written);
      expect(Buffer.isBuffer(browsed[0]!.body)).toBe(true);
      expect(seqs(store.browseQueue('q', 2, 2))).toEqual([3, 4]);
      expect(seqs(store.browseQueue('q', 4, 10))).toEqual([5]);
      expect(store.browseQueue('q', 5, 10)).toEqual([]);
      expect(store.browseQueue('q', 0, 0)).toEqual([]);
      expect(store.browseQueue('other', 0, 10)).toEqual([]);
    });

    it('keeps unusual headers and empty bodies', async () => {
      const odd = message(1, {
        id: '',
        headers: { '': '', 'colon:key': 'new\nline', ünï: '⚡'.repeat(100), __proto__x: 'p' },
        body: Buffer.alloc(0),
        priority: 0,
        expires: 0,
      });
      await store.appendQueueMessage('q', odd);
      expect(store.browseQueue('q', 0, 1)).toEqual([odd]);
    });

    it('browses in seq order when appends arrive out of order', async () => {
      await store.appendQueueMessage('q', message(5));
      await store.appendQueueMessage('q', message(3));
      await store.appendQueueMessage('q', message(4));
      await store.appendQueueMessage('q', message(1));
      expect(seqs(store.browseQueue('q', 0, 10))).toEqual([1, 3, 4, 5]);
      expect(seqs(store.browseQueue('q', 3, 10))).toEqual([4, 5]);
      const state = await store.recover();
      expect(seqs(state.queues.get('q')!.map((r) => r.message))).toEqual([1, 3, 4, 5]);
    });

    it('removes one message', async () => {
      await Promise.all([1, 2, 3].map((seq) => store.appendQueueMessage('q', message(seq))));
      await store.removeQueueMessage('q', 2);
      await store.removeQueueMessage('q', 99); // absent: a no-op
      expect(seqs(store.browseQueue('q', 0, 10))).toEqual([1, 3]);
      const state = await store.recover();
      expect(seqs(state.queues.get('q')!.map((r) => r.message))).toEqual([1, 3]);
    });

    it('removes a message told it has no delivery count, and a count recorded for it anyway is ignored', async () => {
      await Promise.all([1, 2, 3].map((seq) => store.appendQueueMessage('q', message(seq))));
      // Issued in one turn, as acks are: they share the batch with a full removal.
      await Promise.all([
        store.removeQueueMessage('q', 1, false),
        store.removeQueueMessage('q', 3),
      ]);
      expect(seqs(store.browseQueue('q', 0, 10))).toEqual([2]);
      await store.recordDelivery('q', 1, 4);
      const state = await store.recover();
      expect(state.queues.get('q')!.map((r) => [r.message.seq, r.deliveries])).toEqual([[2, 0]]);
    });

    it('recovers delivery counts, and forgets them with the message', async () => {
      await Promise.all([1, 2, 3].map((seq) => store.appendQueueMessage('q', message(seq))));
      await store.recordDelivery('q', 1, 1);
      await store.recordDelivery('q', 1, 2);
      await store.recordDelivery('q', 3, 1);

      let state = await store.recover();
      expect(state.queues.get('q')!.map((r) => [r.message.seq, r.deliveries])).toEqual([
        [1, 2],
        [2, 0],
        [3, 1],
      ]);

      await store.removeQueueMessage('q', 1);
      await store.appendQueueMessage('q', message(1));
      state = await store.recover();
      expect(state.queues.get('q')![0]).toEqual({ message: message(1), deliveries: 0 });
    });

    it('ignores a delivery count recorded after its message was removed', async () => {
      await store.appendQueueMessage('q', message(1));
      await store.removeQueueMessage('q', 1);
      await store.recordDelivery('q', 1, 1);
      const state = await store.recover();
      expect(state.queues.has('q')).toBe(false);
      await store.appendQueueMessage('q', message(1));
      expect((await store.recover()).queues.get('q')![0]!.deliveries).toBe(0);
    });

    it('saves, replaces, deletes and recovers durable subscriptions', async () => {
      const a = durable('c1', 'prices');
      // The owner binds the client-id to a user: it must survive a restart.
      const b = { ...durable('c2', 'news'), owner: 'alice' };
      await Promise.all([store.saveDurableSubscription(a), store.saveDurableSubscription(b)]);
      let state = await store.recover();
      expect(state.durableSubscriptions).toHaveLength(2);
      expect(state.durableSubscriptions).toEqual(expect.arrayContaining([a, b]));

      const moved = { ...a, selector: '' };
      await store.saveDurableSubscription(moved);
      state = await store.recover();
      expect(state.durableSubscriptions.find((r) => r.key === b.key)?.owner).toBe('alice');
      await store.deleteDurableSubscription(b.key);
      await store.deleteDurableSubscription('nobody:nothing');
      state = await store.recover();
      expect(state.durableSubscriptions).toEqual([moved]);
    });

    it('appends, trims and recovers topic history per topic', async () => {
      await Promise.all([
        ...[1, 3, 5, 7].map((seq) => store.appendHistory('t', message(seq))),
        ...[2, 4].map((seq) => store.appendHistory('tt', message(seq))),
      ]);
      let state = await store.recover();
      expect(seqs(state.history.get('t')!)).toEqual([1, 3, 5, 7]);
      expect(seqs(state.history.get('tt')!)).toEqual([2, 4]);
      expect(state.history.get('t')![1]).toEqual(message(3));

      await store.trimHistory('t', 5);
      await store.trimHistory('nothing', 100);
      state = await store.recover();
      expect(seqs(state.history.get('t')!)).toEqual([7]);
      expect(seqs(state.history.get('tt')!)).toEqual([2, 4]);

      await store.trimHistory('t', 7);
      state = await store.recover();
      expect(state.history.has('t')).toBe(false);
    });

    it('clears only the named queue, even when names are prefixes of each other', async () => {
      const names = ['a', 'ab', 'a.b', 'a b', 'b'];
      await Promise.all(
        names.flatMap((name, i) =>
          [1, 2, 3].map((n) => store.appendQueueMessage(name, message(i * 10 + n))),
        ),
      );
      await Promise.all(names.map((name, i) => store.recordDelivery(name, i * 10 + 1, 3)));

      await store.clearQueue('a');
      await store.clearQueue('missing');
      expect(store.browseQueue('a', 0, 10)).toEqual([]);
      for (const [i, name] of names.entries()) {
        if (name === 'a') continue;
        expect(seqs(store.browseQueue(name, 0, 10))).toEqual([1, 2, 3].map((n) => i * 10 + n));
      }
      const state = await store.recover();
      expect(state.queues.has('a')).toBe(false);
      expect(state.queues.get('ab')![0]!.deliveries).toBe(3);

      // The cleared queue's delivery counts went with it.
      await store.appendQueueMessage('a', message(1));
      expect((await store.recover()).queues.get('a')![0]!.deliveries).toBe(0);
    });

    it('clears messages appended earlier in the same tick', async () => {
      const appended = store.appendQueueMessage('q', message(1));
      const cleared = store.clearQueue('q');
      const after = store.appendQueueMessage('q', message(2));
      await Promise.all([appended, cleared, after]);
      expect(seqs(store.browseQueue('q', 0, 10))).toEqual([2]);
    });

    it('reports maxSeq over queues and history', async () => {
      await store.appendQueueMessage('q1', message(4));
      await store.appendQueueMessage('q2', message(9));
      await store.appendHistory('t', message(12));
      expect((await store.recover()).maxSeq).toBe(12);
      await store.trimHistory('t', 12);
      expect((await store.recover()).maxSeq).toBe(9);
    });

    it('shares one commit among writes issued in the same tick', async () => {
      await store.appendQueueMessage('warm', message(1));
      const before = store.stats();
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => store.appendQueueMessage('q', message(i + 1))),
      );
      const after = store.stats();
      expect(after.commits - before.commits).toBe(1);
      expect(after.writes - before.writes).toBe(100);
      expect(after.lastCommitMs).toBeGreaterThanOrEqual(0);

      for (let i = 0; i < 3; i++) await store.recordDelivery('q', 1, i + 1);
      expect(store.stats().commits - after.commits).toBe(3);
      if (kind === 'lmdb') expect(after.diskBytes).toBeGreaterThan(0);
      else expect(after.diskBytes).toBe(0);
    });

    it('waits for pending writes on close, then rejects writes', async () => {
      const pending = Array.from({ length: 10 }, (_, i) =>
        store.appendQueueMessage('q', message(i + 1)),
      );
      await store.close();
      await expect(Promise.all(pending)).resolves.toBeDefined();

      const attempts: Promise<void>[] = [
        store.appendQueueMessage('q', message(11)),
        store.removeQueueMessage('q', 1),
        store.recordDelivery('q', 1, 1),
        store.clearQueue('q'),
        store.saveDurableSubscription(durable('c', 'n')),
        store.deleteDurableSubscription('c:n'),
        store.appendHistory('t', message(12)),
        store.trimHistory('t', 12),
      ];
      for (const attempt of attempts) {
        await expect(attempt).rejects.toThrow(StoreWriteError);
        await expect(attempt).rejects.toThrow('store is closed');
      }
      await store.close(); // idempotent
    });
  },
);
