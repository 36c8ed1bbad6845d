/**
 * Connection endpoints and shutdown with real clients over TCP and
 * WebSocket: the counts each connection shows match what the test sent,
 * closing one sends it ERROR `closed by administrator`, and a graceful
 * shutdown tells clients before it stops.
 */
import { describe, expect, it } from 'vitest';
import { adminClient, until } from '../../helpers/admin-http.js';
import { startBroker } from '../../helpers/broker.js';
import { uniqueName } from '../../helpers/raw-client.js';

describe('admin API: connections', () => {
  it('lists each connection with its transport, user, subscriptions and traffic', async () => {
    const b = await startBroker();
    const api = adminClient(b);
    const tcp = await b.connectTcp({ login: 'bob', 'client-id': 'tcp-client' });
    const ws = await b.connectWs();
    const topic = `/topic/${uniqueName('t')}`;
    await ws.subscribe(topic, 'w1');
    for (let i = 0; i < 3; i++) await tcp.publish(topic, 'hello');
    await ws.messages(3);
    const tcpId = tcp.history[0]!.headers.session!;
    const wsId = ws.history[0]!.headers.session!;
    const list = await until(
      () => api.get('/connections'),
      (r) => r.body.find((c: { id: string }) => c.id === wsId)?.messagesOut === 3,
    );
    const tcpRow = list.body.find((c: { id: string }) => c.id === tcpId);
    expect(tcpRow).toMatchObject({
      transport: 'tcp',
      secure: false,
      version: '1.2',
      user: 'bob',
      clientId: 'tcp-client',
      subscriptions: 0,
      messagesIn: 3,
      messagesOut: 0,
      state: 'connected',
      remoteAddress: '127.0.0.1',
    });
    // CONNECT and three SENDs, each with a receipt; CONNECTED and three RECEIPTs.
    expect(tcpRow.framesIn).toBe(4);
    expect(tcpRow.framesOut).toBe(4);
    expect(tcpRow.bytesIn).toBeGreaterThan(3 * 'hello'.length);
    expect(tcpRow.remotePort).toBeGreaterThan(0);
    expect(Date.parse(tcpRow.connectedAt)).toBeLessThanOrEqual(Date.now());
    const wsRow = list.body.find((c: { id: string }) => c.id === wsId);
    expect(wsRow).toMatchObject({
      transport: 'ws',
      subscriptions: 1,
      messagesIn: 0,
      messagesOut: 3,
    });
    expect(wsRow.bytesOut).toBeGreaterThan(3 * 'hello'.length);
    const detail = await api.get(`/connections/${wsId}`);
    expect(detail.body.subscriptions).toEqual([
      expect.objectContaining({
        connectionId: wsId,
        id: 'w1',
        destination: topic,
        delivered: 3,
        ackMode: 'auto',
      }),
    ]);
  });

  it('closes a connection with ERROR "closed by administrator"; others stay', async () => {
    const b = await startBroker();
    const api = adminClient(b);
    const victim = await b.connectTcp();
    const bystander = await b.connectWs();
    const id = victim.history[0]!.headers.session!;
    const closed = await api.del(`/connections/${id}`);
    expect(closed.status).toBe(200);
    expect(closed.body).toEqual({ closed: true });
    const error = await victim.waitForCommand('ERROR');
    expect(error.headers.message).toBe('closed by administrator');
    await victim.expectClosed();
    expect(bystander.isClosed).toBe(false);
    const remaining = await until(
      () => api.get('/connections'),
      (r) => r.body.length === 1,
    );
    expect(remaining.body[0].id).toBe(bystander.history[0]!.headers.session);
    const again = await api.del(`/connections/${id}`);
    expect(again.status).toBe(404);
    expect(again.body.error).toContain(id);
  });

  it('shuts the broker down gracefully on POST /shutdown', async () => {
    const b = await startBroker();
    const api = adminClient(b);
    const client = await b.connectTcp();
    const answer = await api.post('/shutdown');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ stopping: true });
    const error = await client.waitForCommand('ERROR');
    expect(error.headers.message).toBe('server shutting down');
    await client.expectClosed();
    await expect(fetch(`${api.base}/overview`)).rejects.toThrow();
  });
});
