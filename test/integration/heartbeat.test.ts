import { describe, expect, it, vi } from 'vitest';
import { uniqueName } from '../helpers/raw-client.js';
import { CLIENT_TRANSPORTS, startFor } from '../helpers/transports.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function parseHeartBeat(v: string | undefined): [number, number] {
  expect(v).toMatch(/^\d+,\d+$/);
  const [a, b] = v!.split(',').map(Number);
  return [a!, b!];
}

describe.each(CLIENT_TRANSPORTS)('heart-beats (%s)', (transport) => {
  it('sends EOL heart-beats at roughly the negotiated period (client 0,100; broker sendMs 50 → every ~100 ms)', async () => {
    const b = await startFor(transport, { heartbeat: { sendMs: 50 } });
    const c = await b.open();
    const connected = await c.connect({ 'heart-beat': '0,100' });
    const [sx] = parseHeartBeat(connected.headers['heart-beat']);
    expect(sx).toBeGreaterThan(0);
    expect(sx).toBeLessThanOrEqual(100);
    const before = c.heartbeats;
    await sleep(1200);
    const count = c.heartbeats - before;
    // ~12 expected; allow for a busy machine, but a broker ignoring the negotiation
    // (or flooding EOLs) must fail.
    expect(count).toBeGreaterThanOrEqual(3);
    expect(count).toBeLessThanOrEqual(18);
    expect(c.isClosed).toBe(false);
  });

  it('sends no heart-beats to a client that asked for none (heart-beat 0,0)', async () => {
    const b = await startFor(transport, { heartbeat: { sendMs: 50 } });
    const c = await b.open();
    await c.connect({ 'heart-beat': '0,0' });
    await sleep(500);
    expect(c.heartbeats).toBe(0);
  });

  it('closes a client that negotiated heart-beat 100,0 and then stays silent', async () => {
    const b = await startFor(transport, {
      heartbeat: { receiveMs: 100, graceMs: 0, toleranceFactor: 2 },
    });
    const c = await b.open();
    const connected = await c.connect({ 'heart-beat': '100,0' });
    const [, sy] = parseHeartBeat(connected.headers['heart-beat']);
    expect(sy).toBeGreaterThan(0);
    const start = Date.now();
    await c.expectClosed(3000);
    // It must not be closed before at least one negotiated period has passed.
    expect(Date.now() - start).toBeGreaterThanOrEqual(50);
    const errors = c.history.filter((f) => f.command === 'ERROR');
    for (const e of errors) expect(e.headers.message).toBeTruthy();
  });

  it('keeps a client connected while it sends EOL heart-beats', async () => {
    const b = await startFor(transport, {
      heartbeat: { receiveMs: 100, graceMs: 0, toleranceFactor: 2 },
    });
    const c = await b.open();
    await c.connect({ 'heart-beat': '100,0' });
    const timer = setInterval(() => {
      if (!c.isClosed) c.sendRaw('\n');
    }, 50);
    try {
      await sleep(1500);
      expect(c.isClosed).toBe(false);
      await c.sendWithReceipt('SUBSCRIBE', {
        destination: `/topic/${uniqueName('hb')}`,
        id: 'alive',
      });
    } finally {
      clearInterval(timer);
    }
  });

  it('counts ordinary frames as activity for a heart-beating client', async () => {
    const b = await startFor(transport, {
      heartbeat: { receiveMs: 100, graceMs: 0, toleranceFactor: 2 },
    });
    const c = await b.open();
    await c.connect({ 'heart-beat': '100,0' });
    const dest = `/topic/${uniqueName('hbframes')}`;
    const timer = setInterval(() => {
      if (!c.isClosed) c.send('SEND', { destination: dest }, 'tick');
    }, 50);
    try {
      await sleep(1500);
      expect(c.isClosed).toBe(false);
    } finally {
      clearInterval(timer);
    }
  });

  it('does not close a silent client that negotiated no client heart-beats', async () => {
    const b = await startFor(transport, {
      heartbeat: { receiveMs: 100, graceMs: 0, toleranceFactor: 2 },
    });
    const c = await b.open();
    await c.connect({ 'heart-beat': '0,0' });
    await sleep(1000);
    expect(c.isClosed).toBe(false);
    await c.sendWithReceipt('SUBSCRIBE', { destination: `/topic/${uniqueName('q')}`, id: 'x' });
  });
});
