/**
 * The HTTP side of the broker's port on both WebSocket engines: methods,
 * request bodies (bounded: 413 past admin.maxBodyBytes), answers given after
 * an await (a persistent send commits first), JSON errors, and the static
 * files and WebSocket upgrades still working next to the admin API.
 */
import { describe, expect, it } from 'vitest';
import { adminClient } from '../../helpers/admin-http.js';
import { startBroker, WS_TRANSPORTS } from '../../helpers/broker.js';
import { startLmdbBroker, tempDataDir } from '../../helpers/persistence.js';
import { uniqueName } from '../../helpers/raw-client.js';

describe.each(WS_TRANSPORTS)('admin HTTP plumbing over %s', (wsTransport) => {
  it('answers GET with JSON and keeps serving pages and STOMP over WebSocket on the same port', async () => {
    const b = await startBroker({ wsTransport, admin: { maxBodyBytes: 4096 } });
    const api = adminClient(b);
    const overview = await api.get('/overview');
    expect(overview.status).toBe(200);
    expect(overview.headers.get('content-type')).toMatch(/^application\/json/);
    expect(overview.body.version).toMatch(/^\d+\.\d+\.\d+/);
    const page = await fetch(`http://127.0.0.1:${b.addr.ws.port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const client = await b.connectWs();
    expect(client.isClosed).toBe(false);
    const connections = await api.get('/connections');
    expect(connections.body.map((c: { transport: string }) => c.transport)).toEqual([wsTransport]);
  });

  it('reads a POST body, awaits the store commit, and answers with the result', async () => {
    const dataDir = await tempDataDir('stompede-admin-plumb-');
    const b = await startLmdbBroker(dataDir, { wsTransport, admin: { maxBodyBytes: 4096 } });
    const commitsBefore = b.broker.broker.store.stats().commits;
    const api = adminClient(b);
    const queue = uniqueName('plumb');
    const sent = await api.post('/send', {
      destination: `/queue/${queue}`,
      headers: { persistent: 'true', 'x-k': 'v' },
      body: 'é'.repeat(100),
    });
    expect(sent.status).toBe(200);
    expect(typeof sent.body.messageId).toBe('string');
    // The answer came after the message's LMDB commit, not before.
    expect(b.broker.broker.store.stats().commits).toBeGreaterThan(commitsBefore);
    const browse = await api.get(`/queues/${queue}/messages`);
    expect(browse.body).toHaveLength(1);
    expect(browse.body[0].messageId).toBe(sent.body.messageId);
    expect(browse.body[0].bodyPreview).toBe('é'.repeat(100));
    expect(browse.body[0].bodySize).toBe(200);
    expect(browse.body[0].headers['x-k']).toBe('v');
  });

  it('refuses a body over admin.maxBodyBytes with 413, declared or streamed, and stays up', async () => {
    const b = await startBroker({ wsTransport, admin: { maxBodyBytes: 1000 } });
    const api = adminClient(b);
    const big = JSON.stringify({ destination: '/queue/x', body: 'x'.repeat(5000) });
    const declared = await api.request('POST', '/send', { body: big });
    expect(declared.status).toBe(413);
    expect(declared.body).toMatchObject({ code: 'payload-too-large' });
    expect(declared.body.error).toContain('1000 bytes');
    // A chunked body announces no length: the limit is enforced while reading.
    const chunks = [big.slice(0, 800), big.slice(800)];
    const streamed = await api.request('POST', '/send', {
      body: new ReadableStream({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    const after = await api.get('/queues');
    expect(after.status).toBe(200);
    expect(after.body).toEqual([]);
  });

  it('answers unknown endpoints 404, wrong methods 405 with Allow, bad JSON 400 naming the problem', async () => {
    const b = await startBroker({ wsTransport });
    const api = adminClient(b);
    const missing = await api.get('/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'not-found' });
    expect(missing.body.error).toContain('/admin/api/nothing-here');
    const wrong = await api.request('PUT', '/overview');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    const badJson = await api.request('POST', '/send', { body: '{not json' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toMatch(/not valid JSON/);
    const noBody = await api.request('POST', '/send');
    expect(noBody.status).toBe(400);
    expect(noBody.body.error).toMatch(/needs a JSON object/);
  });
});
