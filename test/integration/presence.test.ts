import { describe, expect, it } from 'vitest';
import { startBroker } from '../helpers/broker.js';
import { uniqueName } from '../helpers/raw-client.js';

interface PresenceEvent {
  type: string;
  topic: string;
  member?: { name: string; session: string };
  members?: { name: string; session: string }[];
}

describe('presence', () => {
  it('reports a snapshot, then joins and leaves of x-presence subscribers, as JSON', async () => {
    const b = await startBroker();
    const room = uniqueName('room');
    const alice = await b.connectTcp({}, 'alice');
    await alice.subscribe(`/topic/${room}`, 'a', { 'x-presence': 'Alice' });

    const watcher = await b.connectTcp({}, 'watcher');
    await watcher.subscribe(`/topic/$presence.${room}`, 'p');
    const snapshot = await watcher.message();
    expect(snapshot.headers['content-type']).toBe('application/json');
    const first = JSON.parse(snapshot.bodyText) as PresenceEvent;
    expect(first.type).toBe('snapshot');
    expect(first.topic).toBe(`/topic/${room}`);
    expect(first.members?.map((m) => m.name)).toEqual(['Alice']);

    const bob = await b.connectTcp({}, 'bob');
    await bob.subscribe(`/topic/${room}`, 'b', { 'x-presence': 'Bob' });
    const join = JSON.parse((await watcher.message()).bodyText) as PresenceEvent;
    expect([join.type, join.member?.name]).toEqual(['join', 'Bob']);

    bob.destroy();
    const leave = JSON.parse((await watcher.message()).bodyText) as PresenceEvent;
    expect([leave.type, leave.member?.name]).toEqual(['leave', 'Bob']);

    // A plain subscriber (no x-presence) is not announced.
    const lurker = await b.connectTcp({}, 'lurker');
    await lurker.subscribe(`/topic/${room}`, 'l');
    await watcher.expectNoMessage();
  });
});
