/**
 * Queue endpoints against a real broker with traffic the test sends over
 * STOMP: counts match, browse does not consume, purge empties, delete,
 * DLQ replay moves messages back, and bad input gets JSON errors naming it.
 */
import { describe, expect, it } from 'vitest';
import { adminClient, until } from '../../helpers/admin-http.js';
import { startBroker } from '../../helpers/broker.js';
import { sendAck, sendNack } from '../../helpers/persistence.js';
import { uniqueName } from '../../helpers/raw-client.js';

describe('admin API: queues', () => {
  it('lists a queue with the counts of the traffic sent and acknowledged', async () => {
    const b = await startBroker();
    const api = adminClient(b);
    const name = uniqueName('orders');
    const producer = await b.connectTcp();
    for (let i = 0; i < 5; i++) await producer.publish(`/queue/${name}`, `m${i}`);
    const listed = await api.get('/queues');
    expect(listed.status).toBe(200);
    const row = listed.body.find((q: { name: string }) => q.name === name);
    expect(row).toMatchObject({
      destination: `/queue/${name}`,
      depth: 5,
      inFlight: 0,
      consumers: 0,
      enqueued: 5,
      dequeued: 0,
      dlq: { name: `DLQ.${name}`, depth: 0 },
    });
    const consumer = await b.connectTcp();
    await consumer.subscribe(`/queue/${name}`, 's1', { ack: 'client-individual' });
    const got = await consumer.messages(5);
    for (const frame of got.slice(0, 3)) sendAck(consumer, frame);
    const after = await until(
      () => api.get(`/queues/${name}`),
      (r) => r.body.dequeued === 3,
    );
    expect(after.body).toMatchObject({ depth: 0, inFlight: 2, consumerCount: 1, enqueued: 5 });
    expect(after.body.consumers).toEqual([
      expect.objectContaining({
        id: 's1',
        destination: `/queue/${name}`,
        ackMode: 'client-individual',
        pending: 2,
        delivered: 5,
      }),
    ]);
    expect(after.body.policy.maxRedeliveries).toBe(6);
  });

  it('browses the first N messages with headers and body preview, without consuming them', async () => {
    const b = await startBroker();
    const api = adminClient(b);
    const name = uniqueName('browse');
    const producer = await b.connectTcp();
    for (let i = 0; i < 4; i++)
      await producer.publish(`/queue/${name}`, `body-${i}`, { color: `c${i}` });
    await producer.publish(`/queue/${name}`, Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    const two = await api.get(`/queues/${name}/messages?limit=2`);
    expect(two.status).toBe(200);
    expect(two.body.map((m: { bodyPreview: string }) => m.bodyPreview)).toEqual([
      'body-0',
      'body-1',
    ]);
    expect(two.body[0]).toMatchObject({
      bodyEncoding: 'utf8',
      bodySize: 6,
      redelivered: false,
      deliveries: 0,
      priority: 4,
    });
    expect(two.body[0].headers).toMatchObject({ color: 'c0', destination: `/queue/${name}` });
    const all = await api.get(`/queues/${name}/messages`);
    expect(all.body).toHaveLength(5);
    expect(all.body[4]).toMatchObject({
      bodyEncoding: 'base64',
      bodyPreview: '//4AAQ==',
      bodySize: 4,
    });
    // Still all there: a consumer gets every one of them, in order.
    expect((await api.get(`/queues/${name}`)).body.depth).toBe(5);
    const consumer = await b.connectTcp();
    await consumer.subscribe(`/queue/${name}`, 's');
    const got = await consumer.messages(5);
    expect(got.slice(0, 4).map((f) => f.bodyText)).toEqual([
      'body-0',
      'body-1',
      'body-2',
      'body-3',
    ]);
  });

  it('purges the waiting messages: depth 0 and a consumer gets none of them', async () => {
    const b = await startBroker();
    const api = adminClient(b);
    const name = uniqueName('purge');
    const producer = await b.connectTcp();
    for (let i = 0; i < 7; i++) await producer.publish(`/queue/${name}`, `m${i}`);
    const purged = await api.del(`/queues/${name}/messages`);
    expect(purged.status).toBe(200);
    expect(purged.body).toEqual({ purged: 7 });
    expect((await api.get(`/queues/${name}`)).body.depth).toBe(0);
    const consumer = await b.connectTcp();
    await consumer.subscribe(`/queue/${name}`, 's');
    await consumer.expectNoMessage();
    await producer.publish(`/queue/${name}`, 'after');
    expect((await consumer.message()).bodyText).toBe('after');
  });

  it('deletes a queue without consumers and refuses (409) while it has some', async () => {
    const b = await startBroker();
    const api = adminClient(b);
    const name = uniqueName('del');
    const producer = await b.connectTcp();
    await producer.publish(`/queue/${name}`, 'x');
    const consumer = await b.connectTcp();
    await consumer.subscribe(`/queue/${name}`, 's', {
      ack: 'client-individual',
      'activemq.prefetchSize': '1',
    });
    await consumer.message();
    await producer.publish(`/queue/${name}`, 'y');
    const refused = await api.del(`/queues/${name}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('conflict');
    expect(refused.body.error).toContain(`/queue/${name}`);
    await consumer.disconnect();
    const deleted = await api.del(`/queues/${name}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ deleted: true, purged: 2 });
    const gone = await api.get(`/queues/${name}`);
    expect(gone.status).toBe(404);
  });

  it('moves dead-lettered messages back to their queue with replay', async () => {
    const b = await startBroker({ destinationDefaults: { maxRedeliveries: 0 } });
    const api = adminClient(b);
    const name = uniqueName('work');
    const producer = await b.connectTcp();
    await producer.publish(`/queue/${name}`, 'poison-1', { kind: 'a' });
    await producer.publish(`/queue/${name}`, 'poison-2', { kind: 'b' });
    const consumer = await b.connectTcp();
    await consumer.subscribe(`/queue/${name}`, 's', { ack: 'client-individual' });
    for (const frame of await consumer.messages(2)) sendNack(consumer, frame);
    const dlq = await until(
      () => api.get(`/queues/DLQ.${name}`),
      (r) => r.status === 200 && r.body.depth === 2,
    );
    expect(dlq.body.enqueued).toBe(2);
    const origin = await api.get(`/queues/${name}`);
    expect(origin.body).toMatchObject({ deadLettered: 2, dlq: { name: `DLQ.${name}`, depth: 2 } });
    await consumer.unsubscribe('s');
    const replay = await api.post(`/queues/DLQ.${name}/replay`);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ moved: 2, kept: 0 });
    expect((await api.get(`/queues/DLQ.${name}`)).body.depth).toBe(0);
    expect((await api.get(`/queues/${name}`)).body.depth).toBe(2);
    await consumer.subscribe(`/queue/${name}`, 's2');
    const back = await consumer.messages(2);
    expect(back.map((f) => f.bodyText)).toEqual(['poison-1', 'poison-2']);
    expect(back[0]!.headers.kind).toBe('a');
    expect(back[0]!.headers['x-original-destination']).toBeUndefined();
  });

  it('answers 404 naming an unknown queue and 400 naming a bad parameter', async () => {
    const b = await startBroker();
    const api = adminClient(b);
    const missing = await api.get('/queues/no.such.queue');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      error: 'No queue /queue/no.such.queue on this broker.',
      code: 'not-found',
    });
    expect((await api.del('/queues/no.such.queue/messages')).status).toBe(404);
    expect((await api.post('/queues/no.such.queue/replay')).status).toBe(404);
    const producer = await b.connectTcp();
    await producer.publish('/queue/q1', 'x');
    for (const bad of ['0', '1001', 'ten', '']) {
      const response = await api.get(`/queues/q1/messages?limit=${bad}`);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('bad-request');
      expect(response.body.error).toContain("'limit'");
    }
    // A URL-encoded name with a slash and dots reaches the right queue.
    await producer.publish('/queue/a/b.c', 'slashed');
    const slashed = await api.get(`/queues/${encodeURIComponent('a/b.c')}/messages`);
    expect(slashed.body.map((m: { bodyPreview: string }) => m.bodyPreview)).toEqual(['slashed']);
  });
});
