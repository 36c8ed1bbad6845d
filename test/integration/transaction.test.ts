import { describe, expect, it, vi } from 'vitest';
import { startBroker } from '../helpers/broker.js';
import type { Frame } from '../helpers/frames.js';
import { uniqueName } from '../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

const bodies = (fs: Frame[]) => fs.map((f) => f.bodyText);

describe('transactions', () => {
  it('holds SENDs made inside a transaction until COMMIT, then delivers them in order', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('txq')}`;
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(dest, 's');
    const pub = await b.connectTcp({}, 'pub');
    await pub.sendWithReceipt('BEGIN', { transaction: 'tx1' });
    await pub.sendWithReceipt('SEND', { destination: dest, transaction: 'tx1' }, 't1');
    await pub.sendWithReceipt('SEND', { destination: dest, transaction: 'tx1' }, 't2');
    await sub.expectNoMessage();
    await pub.sendWithReceipt('COMMIT', { transaction: 'tx1' });
    const got = await sub.messages(2);
    expect(bodies(got)).toEqual(['t1', 't2']);
    for (const m of got) expect(m.headers.transaction).toBeUndefined();
  });

  it('holds transactional SENDs to a topic until COMMIT', async () => {
    const b = await startBroker();
    const dest = `/topic/${uniqueName('txt')}`;
    const subs = [await b.connectTcp({}, 's1'), await b.connectTcp({}, 's2')];
    for (const s of subs) await s.subscribe(dest, 's');
    const pub = await b.connectTcp({}, 'pub');
    pub.send('BEGIN', { transaction: 'tt' });
    pub.send('SEND', { destination: dest, transaction: 'tt' }, 'a');
    await pub.sendWithReceipt('SEND', { destination: dest, transaction: 'tt' }, 'b');
    await Promise.all(subs.map((s) => s.expectNoMessage()));
    await pub.sendWithReceipt('COMMIT', { transaction: 'tt' });
    for (const s of subs) expect(bodies(await s.messages(2))).toEqual(['a', 'b']);
  });

  it('discards transactional SENDs on ABORT', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('abort')}`;
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(dest, 's');
    const pub = await b.connectTcp({}, 'pub');
    pub.send('BEGIN', { transaction: 'tx-a' });
    pub.send('SEND', { destination: dest, transaction: 'tx-a' }, 'doomed-1');
    pub.send('SEND', { destination: dest, transaction: 'tx-a' }, 'doomed-2');
    await pub.sendWithReceipt('ABORT', { transaction: 'tx-a' });
    await pub.publish(dest, 'after-abort');
    const m = await sub.message();
    expect(m.bodyText).toBe('after-abort');
    await sub.expectNoMessage();
  });

  it('delivers non-transactional SENDs immediately while a transaction is open', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('mixed')}`;
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(dest, 's');
    const pub = await b.connectTcp({}, 'pub');
    pub.send('BEGIN', { transaction: 'tx-m' });
    pub.send('SEND', { destination: dest, transaction: 'tx-m' }, 'held');
    await pub.publish(dest, 'direct');
    expect((await sub.message()).bodyText).toBe('direct');
    await sub.expectNoMessage();
    await pub.sendWithReceipt('COMMIT', { transaction: 'tx-m' });
    expect((await sub.message()).bodyText).toBe('held');
  });

  it('keeps two transactions on one connection independent (commit one, abort the other)', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('twotx')}`;
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(dest, 's');
    const pub = await b.connectTcp({}, 'pub');
    pub.send('BEGIN', { transaction: 'one' });
    pub.send('BEGIN', { transaction: 'two' });
    pub.send('SEND', { destination: dest, transaction: 'one' }, 'from-one');
    pub.send('SEND', { destination: dest, transaction: 'two' }, 'from-two');
    await pub.sendWithReceipt('ABORT', { transaction: 'two' });
    await pub.sendWithReceipt('COMMIT', { transaction: 'one' });
    expect((await sub.message()).bodyText).toBe('from-one');
    await sub.expectNoMessage();
  });

  it('keeps committed transactional messages on a queue with no consumer', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('txkeep')}`;
    const pub = await b.connectTcp({}, 'pub');
    pub.send('BEGIN', { transaction: 'k' });
    pub.send('SEND', { destination: dest, transaction: 'k' }, 'k1');
    pub.send('SEND', { destination: dest, transaction: 'k' }, 'k2');
    await pub.sendWithReceipt('COMMIT', { transaction: 'k' });
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(dest, 's');
    expect(bodies(await sub.messages(2))).toEqual(['k1', 'k2']);
  });

  it('aborts a transaction left open when the client disconnects', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('openatdc')}`;
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(dest, 's');
    const pub = await b.connectTcp({}, 'pub');
    pub.send('BEGIN', { transaction: 'never-committed' });
    await pub.sendWithReceipt(
      'SEND',
      { destination: dest, transaction: 'never-committed' },
      'ghost',
    );
    await pub.disconnect();
    await sub.expectNoMessage();
    // and the broker still routes normally
    const pub2 = await b.connectTcp({}, 'pub2');
    await pub2.publish(dest, 'real');
    expect((await sub.message()).bodyText).toBe('real');
    await sub.expectNoMessage();
  });

  it('aborts a transaction left open when the client connection drops', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('openatdrop')}`;
    const pub = await b.connectTcp({}, 'pub');
    pub.send('BEGIN', { transaction: 'dropped' });
    await pub.sendWithReceipt('SEND', { destination: dest, transaction: 'dropped' }, 'ghost');
    pub.destroy();
    await pub.closed;
    const pub2 = await b.connectTcp({}, 'pub2');
    await pub2.publish(dest, 'real');
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(dest, 's');
    expect((await sub.message()).bodyText).toBe('real');
    await sub.expectNoMessage();
  });

  it('leaves a message unacked when its ACK was in an aborted transaction (redelivered on disconnect)', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('ackabort')}`;
    const a = await b.connectTcp({}, 'A');
    await a.subscribe(dest, 'a', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'keep-me');
    const m = await a.message();
    a.send('BEGIN', { transaction: 'ack-tx' });
    a.send('ACK', { id: m.headers.ack!, transaction: 'ack-tx' });
    await a.sendWithReceipt('ABORT', { transaction: 'ack-tx' });
    await a.disconnect();
    const c = await b.connectTcp({}, 'B');
    await c.subscribe(dest, 'b');
    const re = await c.message();
    expect(re.bodyText).toBe('keep-me');
    expect(re.headers.redelivered).toBe('true');
  });

  it('applies an ACK made in a committed transaction (not redelivered on disconnect)', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('ackcommit')}`;
    const a = await b.connectTcp({}, 'A');
    await a.subscribe(dest, 'a', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'done');
    const m = await a.message();
    a.send('BEGIN', { transaction: 'ack-c' });
    a.send('ACK', { id: m.headers.ack!, transaction: 'ack-c' });
    await a.sendWithReceipt('COMMIT', { transaction: 'ack-c' });
    await a.disconnect();
    const c = await b.connectTcp({}, 'B');
    await c.subscribe(dest, 'b');
    await c.expectNoMessage();
  });

  it('leaves a message unacked when its ACK is in a transaction still open at disconnect', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('ackopen')}`;
    const a = await b.connectTcp({}, 'A');
    await a.subscribe(dest, 'a', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'pending');
    const m = await a.message();
    a.send('BEGIN', { transaction: 'open-ack' });
    await a.sendWithReceipt('ACK', { id: m.headers.ack!, transaction: 'open-ack' });
    await a.disconnect();
    const c = await b.connectTcp({}, 'B');
    await c.subscribe(dest, 'b');
    const re = await c.message();
    expect(re.bodyText).toBe('pending');
    expect(re.headers.redelivered).toBe('true');
  });

  it('defers a transactional NACK until COMMIT, then redelivers the message', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('nacktx')}`;
    const a = await b.connectTcp({}, 'A');
    await a.subscribe(dest, 'a', { ack: 'client-individual' });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'again');
    const m = await a.message();
    a.send('BEGIN', { transaction: 'n' });
    await a.sendWithReceipt('NACK', { id: m.headers.ack!, transaction: 'n' });
    await a.expectNoMessage();
    await a.sendWithReceipt('COMMIT', { transaction: 'n' });
    const re = await a.message();
    expect(re.bodyText).toBe('again');
    expect(re.headers.redelivered).toBe('true');
  });
});
