/**
 * Topics, subscriptions, consumers, durable subscriptions, exchanges,
 * bindings, cluster and the overview's totals, against traffic the test sends.
 */
import { describe, expect, it } from 'vitest';
import { adminClient, until } from '../../helpers/admin-http.js';
import { startBroker } from '../../helpers/broker.js';
import { sendAck, sendNack } from '../../helpers/persistence.js';
import { uniqueName } from '../../helpers/raw-client.js';

describe('admin API: topics and subscriptions', () => {
  it('lists topics with subscribers, history and the counts of what was published and delivered', async () => {
    const name = uniqueName('prices');
    const b = await startBroker({
      destinations: [{ match: `/topic/${name}`, historyMaxMessages: 10 }],
    });
    const api = adminClient(b);
    const a = await b.connectTcp();
    const c = await b.connectWs();
    await a.subscribe(`/topic/${name}`, 'a');
    await c.subscribe(`/topic/${name}`, 'c', { selector: "region = 'eu'" });
    const producer = await b.connectTcp();
    await producer.publish(`/topic/${name}`, '1', { region: 'eu' });
    await producer.publish(`/topic/${name}`, '2', { region: 'us' });
    await producer.publish(`/topic/${name}`, '3', { region: 'eu' });
    await a.messages(3);
    await c.messages(2);
    const topics = await api.get('/topics');
    const row = topics.body.find((t: { name: string }) => t.name === name);
    expect(row).toMatchObject({
      destination: `/topic/${name}`,
      subscribers: 2,
      durableSubscriptions: 0,
      historySize: 3,
      history: { maxMessages: 10, maxAgeMs: 0 },
      published: 3,
      delivered: 5,
      dropped: 0,
    });
    const one = await api.get(`/topics/${name}`);
    expect(one.body.subscriptions.map((s: { selector: string }) => s.selector).sort()).toEqual([
      '',
      "region = 'eu'",
    ]);
    const deleted = await api.del(`/topics/${name}`);
    expect(deleted.body).toEqual({ deleted: true });
    const after = await api.get(`/topics/${name}`);
    expect(after.body).toMatchObject({ historySize: 0, published: 0, subscribers: 2 });
    const missing = await api.get('/topics/never.used');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('No topic /topic/never.used on this broker.');
  });

  it('lists subscriptions and the consumers of a destination, wildcards included', async () => {
    const b = await startBroker();
    const api = adminClient(b);
    const base = uniqueName('c');
    const one = await b.connectTcp();
    const two = await b.connectTcp();
    await one.subscribe(`/queue/${base}.jobs`, 'q', {
      ack: 'client',
      'activemq.prefetchSize': '5',
    });
    await two.subscribe(`/topic/${base}.>`, 'w');
    await two.subscribe(`/topic/${base}.news`, 'n', { 'activemq.noLocal': 'true' });
    const all = await api.get('/subscriptions');
    expect(all.body).toHaveLength(3);
    expect(all.body.find((s: { id: string }) => s.id === 'q')).toMatchObject({
      connectionId: one.history[0]!.headers.session,
      destination: `/queue/${base}.jobs`,
      ackMode: 'client',
      prefetch: 5,
      pending: 0,
    });
    const news = await api.get(
      `/consumers?destination=${encodeURIComponent(`/topic/${base}.news`)}`,
    );
    expect(news.body.map((s: { id: string }) => s.id).sort()).toEqual(['n', 'w']);
    expect(news.body.find((s: { id: string }) => s.id === 'n').noLocal).toBe(true);
    const jobs = await api.get(
      `/consumers?destination=${encodeURIComponent(`/queue/${base}.jobs`)}`,
    );
    expect(jobs.body.map((s: { id: string }) => s.id)).toEqual(['q']);
    const bad = await api.get('/consumers?destination=nonsense');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("'destination'");
  });

  it('lists durable subscriptions, refuses to drop an online one, and drops an offline one', async () => {
    const b = await startBroker();
    const api = adminClient(b);
    const topic = `/topic/${uniqueName('d')}`;
    const sub = await b.connectTcp({ 'client-id': 'cid-1' });
    await sub.subscribe(topic, 's', { 'activemq.subscriptionName': 'audit' });
    const online = await api.get('/durable-subscriptions');
    expect(online.body).toEqual([
      expect.objectContaining({
        clientId: 'cid-1',
        name: 'audit',
        destination: topic,
        online: true,
        pending: 0,
      }),
    ]);
    expect((await api.get('/topics')).body[0].durableSubscriptions).toBe(1);
    const refused = await api.del('/durable-subscriptions/cid-1/audit');
    expect(refused.status).toBe(409);
    await sub.disconnect();
    const producer = await b.connectTcp();
    await producer.publish(topic, 'kept', { persistent: 'true' });
    await producer.publish(topic, 'not kept');
    const offline = await api.get('/durable-subscriptions');
    expect(offline.body[0]).toMatchObject({ online: false, pending: 1 });
    const dropped = await api.del('/durable-subscriptions/cid-1/audit');
    expect(dropped.status).toBe(200);
    expect((await api.get('/durable-subscriptions')).body).toEqual([]);
    const missing = await api.del('/durable-subscriptions/cid-1/audit');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toContain('audit');
  });

  it('lists exchanges and the bindings exchange subscriptions made', async () => {
    const b = await startBroker();
    const api = adminClient(b);
    const client = await b.connectTcp();
    const queue = uniqueName('bound');
    await client.subscribe('/exchange/amq.direct/green', 's', { 'x-queue-name': queue });
    const exchanges = await api.get('/exchanges');
    expect(exchanges.body.find((e: { name: string }) => e.name === 'amq.direct')).toEqual({
      name: 'amq.direct',
      type: 'direct',
      bindings: 1,
    });
    const bindings = await api.get('/bindings');
    expect(bindings.body).toEqual([
      {
        exchange: 'amq.direct',
        queue,
        destination: `/queue/${queue}`,
        key: 'green',
        arguments: {},
      },
    ]);
  });

  it('sums message traffic in the overview and reports one node in /cluster', async () => {
    const b = await startBroker({ destinationDefaults: { maxRedeliveries: 1 } });
    const api = adminClient(b);
    const name = uniqueName('ov');
    const producer = await b.connectTcp();
    const consumer = await b.connectWs();
    await consumer.subscribe(`/queue/${name}`, 's', { ack: 'client-individual' });
    for (let i = 0; i < 4; i++) await producer.publish(`/queue/${name}`, `m${i}`);
    const first = await consumer.messages(4);
    for (const frame of first.slice(0, 3)) sendAck(consumer, frame);
    sendNack(consumer, first[3]!);
    const again = await consumer.message();
    expect(again.headers.redelivered).toBe('true');
    sendAck(consumer, again);
    const overview = await until(
      () => api.get('/overview'),
      (r) => r.body.messages.acked === 4,
    );
    expect(overview.body.messages).toEqual({
      published: 4,
      delivered: 5,
      acked: 4,
      nacked: 1,
      redelivered: 1,
      expired: 0,
      deadLettered: 0,
    });
    expect(overview.body.connections).toEqual({ total: 2, byTransport: { uws: 0, ws: 1, tcp: 1 } });
    expect(overview.body.store.kind).toBe('memory');
    expect(overview.body.cluster.nodes).toHaveLength(1);
    const cluster = await api.get('/cluster');
    expect(cluster.body).toMatchObject({ enabled: false, redis: null });
    expect(cluster.body.nodes[0]).toMatchObject({
      self: true,
      connections: 2,
      id: `127.0.0.1:${b.addr.ws.port}`,
    });
  });
});
