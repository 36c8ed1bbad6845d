/**
 * Message groups (JMSXGroupID): one consumer owns a group while it lives; when it
 * leaves, the group (and its unacked messages) moves to another consumer.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Frame } from '../../helpers/frames.js';
import {
  inboxMessages,
  PERSISTENT,
  seqOf,
  startLmdbBroker,
  tempDataDir,
  waitUntil,
} from '../../helpers/persistence.js';
import { type RawStompClient, uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

/** Consume every MESSAGE now in the inbox (non-blocking). */
function takeAll(c: RawStompClient): Frame[] {
  const got = inboxMessages(c);
  for (const f of got) c.inbox.splice(c.inbox.indexOf(f), 1);
  return got;
}

async function publishGroups(
  pub: RawStompClient,
  dest: string,
  groups: string[],
  perGroup: number,
  startSeq = 1,
): Promise<void> {
  let seq = startSeq;
  for (let i = 0; i < perGroup; i++) {
    for (const g of groups) {
      await pub.publish(dest, `${g}-${seq}`, { ...PERSISTENT, JMSXGroupID: g, seq: String(seq) });
      seq++;
    }
  }
}

describe('message groups', () => {
  it('delivers each group entirely to one consumer, in order', async () => {
    const b = await startLmdbBroker(await tempDataDir());
    const dest = `/queue/${uniqueName('groups')}`;
    const a = await b.connectTcp({}, 'A');
    const c = await b.connectTcp({}, 'B');
    await a.subscribe(dest, 'a', { ack: 'auto' });
    await c.subscribe(dest, 'b', { ack: 'auto' });
    const pub = await b.connectTcp({}, 'pub');
    await publishGroups(pub, dest, ['g1', 'g2', 'g3', 'g4'], 10);
    await waitUntil(
      () => inboxMessages(a).length + inboxMessages(c).length >= 40,
      '40 messages across A and B',
    );
    const byConsumer = { A: takeAll(a), B: takeAll(c) };
    expect(byConsumer.A.length + byConsumer.B.length).toBe(40);
    for (const g of ['g1', 'g2', 'g3', 'g4']) {
      const owners = Object.entries(byConsumer)
        .filter(([, fs]) => fs.some((f) => f.headers.JMSXGroupID === g))
        .map(([k]) => k);
      expect(owners, `consumers that got group ${g}`).toHaveLength(1);
      const seqs = byConsumer[owners[0] as 'A' | 'B']
        .filter((f) => f.headers.JMSXGroupID === g)
        .map(seqOf);
      expect(seqs).toHaveLength(10);
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    }
    await a.expectNoMessage();
    await c.expectNoMessage();
  });

  it('moves a group, with its unacked messages, to another consumer when its owner leaves', async () => {
    const b = await startLmdbBroker(await tempDataDir());
    const dest = `/queue/${uniqueName('groupmove')}`;
    const a = await b.connectTcp({}, 'A');
    const c = await b.connectTcp({}, 'B');
    await a.subscribe(dest, 'a', { ack: 'client-individual' });
    await c.subscribe(dest, 'b', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await publishGroups(pub, dest, ['g1', 'g2'], 5);
    await waitUntil(
      () => inboxMessages(a).length + inboxMessages(c).length >= 10,
      '10 messages across A and B',
    );
    const clients = { A: a, B: c };
    const got = { A: takeAll(a), B: takeAll(c) };
    expect(got.A.length + got.B.length).toBe(10);
    const ownerOf = (g: string) =>
      (Object.keys(got) as Array<'A' | 'B'>).filter((k) =>
        got[k].some((f) => f.headers.JMSXGroupID === g),
      );
    expect(ownerOf('g1')).toHaveLength(1);
    const owner = ownerOf('g1')[0]!;
    const heir = owner === 'A' ? 'B' : 'A';
    // The owner ACKs its first two g1 messages, then leaves with the other three unacked.
    const ownerG1 = got[owner].filter((f) => f.headers.JMSXGroupID === 'g1');
    for (const f of ownerG1.slice(0, 2)) {
      clients[owner].send('ACK', { id: f.headers.ack!, receipt: `ack-${seqOf(f)}` });
      await clients[owner].expectReceipt(`ack-${seqOf(f)}`);
    }
    // ACK everything else that is not g1 so only g1 moves.
    for (const k of ['A', 'B'] as const) {
      for (const f of got[k].filter((m) => m.headers.JMSXGroupID !== 'g1')) {
        clients[k].send('ACK', { id: f.headers.ack!, receipt: `ack-other-${seqOf(f)}` });
        await clients[k].expectReceipt(`ack-other-${seqOf(f)}`);
      }
    }
    await clients[owner].disconnect();

    const returned = await clients[heir].messages(3);
    expect(returned.map(seqOf)).toEqual(ownerG1.slice(2).map(seqOf));
    expect(returned.every((f) => f.headers.redelivered === 'true')).toBe(true);
    // New g1 messages go to the heir as well.
    await publishGroups(pub, dest, ['g1'], 3, 100);
    const fresh = await clients[heir].messages(3);
    expect(fresh.map(seqOf)).toEqual([100, 101, 102]);
    expect(fresh.every((f) => f.headers.JMSXGroupID === 'g1')).toBe(true);
  });

  it('a late consumer does not steal groups already owned by a live consumer', async () => {
    const b = await startLmdbBroker(await tempDataDir());
    const dest = `/queue/${uniqueName('groupsteal')}`;
    const a = await b.connectTcp({}, 'A');
    await a.subscribe(dest, 'a', { ack: 'auto' });
    const pub = await b.connectTcp({}, 'pub');
    await publishGroups(pub, dest, ['g1', 'g2'], 2);
    expect((await a.messages(4)).map(seqOf)).toEqual([1, 2, 3, 4]);
    const late = await b.connectTcp({}, 'late');
    await late.subscribe(dest, 'l', { ack: 'auto' });
    await publishGroups(pub, dest, ['g1', 'g2'], 5, 10);
    expect((await a.messages(10)).map(seqOf)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    await late.expectNoMessage();
  });
});
