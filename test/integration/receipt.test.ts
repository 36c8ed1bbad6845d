import { describe, expect, it, vi } from 'vitest';
import { startBroker } from '../helpers/broker.js';
import { uniqueName } from '../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

describe('receipts', () => {
  it('answers every receipt-bearing frame type with a RECEIPT carrying its receipt-id', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('rcpt')}`;
    const c = await b.connectTcp();
    const expectReceiptFor = async (
      command: string,
      headers: Record<string, string>,
      body = '',
    ) => {
      const id = `r-${command.toLowerCase()}-${uniqueName()}`;
      c.send(command, { ...headers, receipt: id }, body);
      const r = await c.expectReceipt(id);
      expect(r.headers['receipt-id']).toBe(id);
      expect(r.body.length).toBe(0);
    };
    await expectReceiptFor('SUBSCRIBE', { destination: dest, id: 's', ack: 'client-individual' });
    await expectReceiptFor('SEND', { destination: dest }, 'one');
    await expectReceiptFor('SEND', { destination: dest }, 'two');
    const [m1, m2] = await c.messages(2);
    await expectReceiptFor('ACK', { id: m1!.headers.ack! });
    await expectReceiptFor('NACK', { id: m2!.headers.ack! });
    await c.message(); // m2 redelivered after NACK
    await expectReceiptFor('BEGIN', { transaction: 't1' });
    await expectReceiptFor('SEND', { destination: dest, transaction: 't1' }, 'in-tx');
    await expectReceiptFor('COMMIT', { transaction: 't1' });
    await expectReceiptFor('BEGIN', { transaction: 't2' });
    await expectReceiptFor('ABORT', { transaction: 't2' });
    await expectReceiptFor('UNSUBSCRIBE', { id: 's' });
    await expectReceiptFor('DISCONNECT', {});
    await c.expectClosed();
  });

  it('sends the DISCONNECT RECEIPT before closing the connection', async () => {
    const b = await startBroker();
    const c = await b.connectTcp();
    c.send('DISCONNECT', { receipt: 'bye-77' });
    const r = await c.expectFrame('RECEIPT');
    expect(r.headers['receipt-id']).toBe('bye-77');
    await c.expectClosed();
  });

  it('closes the connection after DISCONNECT without a receipt', async () => {
    const b = await startBroker();
    const c = await b.connectTcp();
    c.send('DISCONNECT');
    await c.expectClosed();
    expect(c.history.filter((f) => f.command === 'ERROR')).toEqual([]);
  });

  it('sends the SUBSCRIBE RECEIPT only once the subscription is active', async () => {
    const b = await startBroker();
    const dest = `/topic/${uniqueName('subactive')}`;
    const sub = await b.connectTcp({}, 'sub');
    const pub = await b.connectTcp({}, 'pub');
    for (let i = 0; i < 5; i++) {
      const id = `sub-${i}`;
      await sub.subscribe(dest, id);
      pub.send('SEND', { destination: dest }, `after-${id}`);
      const m = await sub.message((f) => f.bodyText === `after-${id}`);
      expect(m.headers.subscription).toBe(id);
      await sub.unsubscribe(id);
    }
  });

  it('sends the UNSUBSCRIBE RECEIPT only once the subscription is gone', async () => {
    const b = await startBroker();
    const dest = `/topic/${uniqueName('unsubgone')}`;
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(dest, 'x');
    await sub.unsubscribe('x');
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'too-late');
    await sub.expectNoMessage();
  });

  it('sends the SEND RECEIPT only once a queue message is stored (a later subscriber gets it)', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('stored')}`;
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'stored');
    pub.destroy();
    const sub = await b.connectTcp({}, 'sub');
    await sub.subscribe(dest, 's');
    expect((await sub.message()).bodyText).toBe('stored');
  });

  it('answers a SEND to a topic with no subscribers with a RECEIPT', async () => {
    const b = await startBroker();
    const c = await b.connectTcp();
    const r = await c.sendWithReceipt(
      'SEND',
      { destination: `/topic/${uniqueName('void')}` },
      'nobody',
    );
    expect(r.command).toBe('RECEIPT');
  });

  it('unescapes the receipt header and escapes receipt-id in STOMP 1.2', async () => {
    const b = await startBroker();
    const c = await b.connectTcp();
    // The helper escapes ':' as \c on the wire.
    c.send('SUBSCRIBE', {
      destination: `/topic/${uniqueName('e')}`,
      id: 's',
      receipt: 'odd:receipt',
    });
    const r = await c.expectFrame('RECEIPT');
    expect(r.headers['receipt-id']).toBe('odd:receipt');
  });

  it('answers receipts in the order the frames were sent', async () => {
    const b = await startBroker();
    const c = await b.connectTcp();
    const dest = `/queue/${uniqueName('ord')}`;
    for (let i = 0; i < 20; i++) c.send('SEND', { destination: dest, receipt: `o${i}` }, String(i));
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await c.expectFrame('RECEIPT')).headers['receipt-id']!);
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => `o${i}`));
  });

  it('supports receipts in a STOMP 1.0 session', async () => {
    const b = await startBroker();
    const c = await b.connectTcp({ 'accept-version': '1.0' });
    expect(c.version).toBe('1.0');
    const dest = `/topic/${uniqueName('r10')}`;
    await c.sendWithReceipt('SUBSCRIBE', { destination: dest });
    await c.sendWithReceipt('SEND', { destination: dest }, 'x');
    const m = await c.message();
    expect(m.bodyText).toBe('x');
  });
});
