/**
 * Routing explain against live subscriptions: which would receive a message
 * with these headers, and which selector, no-local, policy or ACL rule keeps
 * the others from it. Each verdict is checked against what routing really
 * does with the same message.
 */
import { describe, expect, it } from 'vitest';
import { adminClient } from '../../helpers/admin-http.js';
import { startBroker } from '../../helpers/broker.js';
import { uniqueName } from '../../helpers/raw-client.js';
import { usersFile } from '../security/auth-support.js';

interface Verdict {
  connectionId: string;
  subscriptionId: string;
  reason?: string;
  detail?: string;
  next?: boolean;
}

describe('admin API: routing explain', () => {
  it('names the selector that rejected a topic subscriber, and routing agrees', async () => {
    const b = await startBroker();
    const api = adminClient(b);
    const base = uniqueName('px');
    const eu = await b.connectTcp();
    const us = await b.connectTcp();
    const all = await b.connectWs();
    await eu.subscribe(`/topic/${base}.eu`, 'eu', { selector: "region = 'eu' AND price > 10" });
    await us.subscribe(`/topic/${base}.eu`, 'us', { selector: "region = 'us'" });
    await all.subscribe(`/topic/${base}.>`, 'all');
    const headers = { region: 'eu', price: '12' };
    const result = await api.post('/explain', { destination: `/topic/${base}.eu`, headers });
    expect(result.status).toBe(200);
    expect(result.body.accepted).toBe(true);
    expect(result.body.matched.map((m: Verdict) => m.subscriptionId).sort()).toEqual(['all', 'eu']);
    expect(result.body.rejected).toEqual([
      expect.objectContaining({
        subscriptionId: 'us',
        connectionId: us.history[0]!.headers.session,
        reason: 'selector',
        detail: "selector region = 'us' is false for these headers",
      }),
    ]);
    // The same message, really sent: exactly the matched ones get it.
    const producer = await b.connectTcp();
    await producer.publish(`/topic/${base}.eu`, 'tick', headers);
    expect((await eu.message()).bodyText).toBe('tick');
    expect((await all.message()).bodyText).toBe('tick');
    await us.expectNoMessage();
  });

  it('explains no-local as the sending connection, and the queue consumer that takes the message', async () => {
    const b = await startBroker();
    const api = adminClient(b);
    const topic = `/topic/${uniqueName('nl')}`;
    const self = await b.connectTcp();
    const other = await b.connectTcp();
    await self.subscribe(topic, 'mine', { 'activemq.noLocal': 'true' });
    await other.subscribe(topic, 'theirs');
    const selfId = self.history[0]!.headers.session!;
    const asSelf = await api.post('/explain', { destination: topic, sender: selfId });
    expect(asSelf.body.rejected).toEqual([
      expect.objectContaining({ subscriptionId: 'mine', reason: 'no-local' }),
    ]);
    expect(asSelf.body.matched.map((m: Verdict) => m.subscriptionId)).toEqual(['theirs']);
    const asAdmin = await api.post('/explain', { destination: topic });
    expect(asAdmin.body.matched.map((m: Verdict) => m.subscriptionId).sort()).toEqual([
      'mine',
      'theirs',
    ]);

    const queue = `/queue/${uniqueName('q')}`;
    const exclusive = await b.connectTcp();
    const second = await b.connectTcp();
    await exclusive.subscribe(queue, 'x', { 'activemq.exclusive': 'true' });
    await second.subscribe(queue, 'y');
    const q = await api.post('/explain', { destination: queue });
    expect(q.body.matched).toEqual([
      expect.objectContaining({ subscriptionId: 'x', next: true, kind: 'queue' }),
    ]);
    expect(q.body.rejected).toEqual([
      expect.objectContaining({
        subscriptionId: 'y',
        reason: 'policy',
        detail: expect.stringContaining('exclusive'),
      }),
    ]);
    const producer = await b.connectTcp();
    await producer.publish(queue, 'job');
    expect((await exclusive.message()).bodyText).toBe('job');
    await second.expectNoMessage();
  });

  it('reports an ACL refusal for a sender without write, a full queue, and bad input', async () => {
    const file = await usersFile({ reader: ['pw-reader', ['readers']] });
    const b = await startBroker({
      auth: {
        usersFile: file,
        allowAnonymous: true,
        throttle: { baseMs: 0 },
        rules: [
          { match: '/queue/>', read: ['*'], write: ['*'] },
          { match: '/topic/locked.>', read: ['*'] },
        ],
        defaultPermissions: ['read', 'write', 'admin'],
      },
      destinations: [{ match: '/queue/tiny', maxDepth: 1 }],
    });
    const api = adminClient(b);
    const reader = await b.connectTcp({ login: 'reader', passcode: 'pw-reader' });
    await reader.subscribe('/topic/locked.news', 's');
    const readerId = reader.history[0]!.headers.session!;
    const acl = await api.post('/explain', { destination: '/topic/locked.news', sender: readerId });
    expect(acl.status).toBe(200);
    expect(acl.body.accepted).toBe(false);
    expect(acl.body.rejected[0]).toMatchObject({
      connectionId: readerId,
      reason: 'acl',
      detail: expect.stringContaining("user 'reader' lacks write permission on /topic/locked.news"),
    });
    // What routing does with that SEND: refused with an ERROR.
    reader.send('SEND', { destination: '/topic/locked.news' }, 'x');
    expect((await reader.waitForCommand('ERROR')).headers.message).toBe(
      'not authorized to write /topic/locked.news',
    );

    const producer = await b.connectTcp();
    await producer.publish('/queue/tiny', 'fills it');
    const full = await api.post('/explain', { destination: '/queue/tiny' });
    expect(full.body.accepted).toBe(false);
    expect(full.body.rejected[0]).toMatchObject({
      reason: 'policy',
      detail: expect.stringContaining('maxDepth 1'),
    });

    const wildcard = await api.post('/explain', { destination: '/topic/a.*' });
    expect(wildcard.status).toBe(400);
    expect(wildcard.body.error).toContain('/topic/a.*');
    const noDestination = await api.post('/explain', { headers: {} });
    expect(noDestination.status).toBe(400);
    expect(noDestination.body.error).toContain("'destination'");
    const badHeader = await api.post('/explain', { destination: '/topic/x', headers: { n: 1 } });
    expect(badHeader.status).toBe(400);
    expect(badHeader.body.error).toContain("'headers.n'");
    const unknownSender = await api.post('/explain', {
      destination: '/topic/x',
      sender: 'session-nope',
    });
    expect(unknownSender.status).toBe(404);
    expect(unknownSender.body.error).toContain('session-nope');
  });
});
