/**
 * The frame tracer through the admin API: a real broker, real STOMP
 * connections over TCP, the trace read over HTTP.
 */
import { describe, expect, it, vi } from 'vitest';
import { type BrokerContext, startBroker } from '../../helpers/broker.js';
import { uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000 });

interface Traced {
  seq: number;
  direction: 'in' | 'out';
  command: string;
  headers: Record<string, string>;
  bodyPreview: string;
  bodySize: number;
}
interface TraceAnswer {
  traceId: string;
  active: boolean;
  dropped: number;
  frames: Traced[];
}

function api(ctx: BrokerContext) {
  const base = `http://127.0.0.1:${ctx.addr.ws.port}/admin/api`;
  return async <T>(method: string, path: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${base}${path}`, { method });
    return { status: response.status, body: (await response.json()) as T };
  };
}

/** The id of the one connection that is not in `known`. */
async function newConnectionId(call: ReturnType<typeof api>, known: string[]): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const { body } = await call<{ id: string }[]>('GET', '/connections');
    const fresh = body.map((c) => c.id).filter((id) => !known.includes(id));
    if (fresh.length === 1) return fresh[0]!;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the new connection never showed in /connections');
}

describe('frame tracer', () => {
  it('records frames in both directions with the passcode redacted, and stops on request', async () => {
    const ctx = await startBroker();
    const call = api(ctx);
    const client = await ctx.tcp('traced');
    const id = await newConnectionId(call, []);

    const started = await call<{ traceId: string; expiresAt: number }>(
      'POST',
      `/connections/${id}/trace`,
    );
    expect(started.status).toBe(200);
    expect(started.body.traceId).toMatch(/\S/);
    expect(started.body.expiresAt).toBeGreaterThan(Date.now() + 4 * 60_000);

    await client.connect({ login: 'alice', passcode: 'hunter2' });
    const queue = `/queue/${uniqueName('trace')}`;
    await client.subscribe(queue, 's1');
    await client.publish(queue, 'hello tracer');
    await client.message((f) => f.body.toString() === 'hello tracer');

    const read = await call<TraceAnswer>('GET', `/connections/${id}/trace`);
    expect(read.status).toBe(200);
    expect(read.body.active).toBe(true);
    const frames = read.body.frames;
    const summary = frames.map((f) => `${f.direction} ${f.command}`);
    expect(summary).toEqual([
      'in CONNECT',
      'out CONNECTED',
      'in SUBSCRIBE',
      'out RECEIPT',
      'in SEND',
      expect.stringMatching(/^out (MESSAGE|RECEIPT)$/),
      expect.stringMatching(/^out (MESSAGE|RECEIPT)$/),
    ]);
    expect(frames[0]!.headers.login).toBe('alice');
    expect(frames[0]!.headers.passcode).toBe('[redacted]');
    expect(JSON.stringify(read.body)).not.toContain('hunter2');
    const send = frames.find((f) => f.command === 'SEND')!;
    expect(send.headers.destination).toBe(queue);
    expect(send.bodyPreview).toBe('hello tracer');
    const message = frames.find((f) => f.command === 'MESSAGE')!;
    expect(message.headers.destination).toBe(queue);
    expect(message.headers.subscription).toBe('s1');
    expect(message.bodyPreview).toBe('hello tracer');
    expect(message.bodySize).toBe(12);
    expect(frames.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const after = await call<TraceAnswer>('GET', `/connections/${id}/trace?after=5`);
    expect(after.body.frames.map((f) => f.seq)).toEqual([6, 7]);

    expect((await call('DELETE', `/connections/${id}/trace`)).status).toBe(200);
    await client.publish(queue, 'after the stop');
    const stopped = await call<TraceAnswer>('GET', `/connections/${id}/trace`);
    expect(stopped.body.active).toBe(false);
    expect(stopped.body.frames).toHaveLength(7);
  });

  it('keeps only the last frameTrace.maxFrames frames and counts the dropped ones', async () => {
    const ctx = await startBroker();
    const call = api(ctx);
    const client = await ctx.connectTcp();
    const id = await newConnectionId(call, []);
    expect((await call('POST', `/connections/${id}/trace`)).status).toBe(200);
    const queue = `/queue/${uniqueName('ring')}`;
    const sends = 560;
    for (let i = 0; i < sends - 1; i++) client.send('SEND', { destination: queue }, `m${i}`);
    await client.publish(queue, `m${sends - 1}`); // its RECEIPT: every SEND before it was handled
    const read = await call<TraceAnswer>('GET', `/connections/${id}/trace`);
    const frames = read.body.frames;
    // sends SEND frames in, one RECEIPT out.
    const total = sends + 1;
    expect(frames).toHaveLength(500);
    expect(read.body.dropped).toBe(total - 500);
    expect(frames[0]!.seq).toBe(total - 499);
    expect(frames.at(-1)).toMatchObject({ seq: total, direction: 'out', command: 'RECEIPT' });
    expect(frames.at(-2)).toMatchObject({ command: 'SEND', bodyPreview: `m${sends - 1}` });
  });

  it('records nothing for a connection nobody traces', async () => {
    const ctx = await startBroker();
    const call = api(ctx);
    const traced = await ctx.connectTcp({}, 'traced');
    const tracedId = await newConnectionId(call, []);
    const untraced = await ctx.connectTcp({}, 'untraced');
    const untracedId = await newConnectionId(call, [tracedId]);
    expect((await call('POST', `/connections/${tracedId}/trace`)).status).toBe(200);

    const queue = `/queue/${uniqueName('quiet')}`;
    await untraced.subscribe(queue, 'u1');
    await untraced.publish(queue, 'not traced');
    await untraced.message();
    await traced.publish(`/queue/${uniqueName('other')}`, 'traced');

    const none = await call<{ error: string; code: string }>(
      'GET',
      `/connections/${untracedId}/trace`,
    );
    expect(none.status).toBe(404);
    expect(none.body.code).toBe('not-found');
    expect(none.body.error).toContain(untracedId);
    const read = await call<TraceAnswer>('GET', `/connections/${tracedId}/trace`);
    expect(read.body.frames.map((f) => f.command)).toEqual(['SEND', 'RECEIPT']);
    expect(JSON.stringify(read.body)).not.toContain('not traced');
  });

  it('keeps the frames readable after the connection ends, with the trace stopped', async () => {
    const ctx = await startBroker();
    const call = api(ctx);
    const client = await ctx.connectTcp();
    const id = await newConnectionId(call, []);
    await call('POST', `/connections/${id}/trace`);
    client.send('BOGUS', {});
    await client.expectFrame('ERROR');
    await client.expectClosed();
    const read = await call<TraceAnswer>('GET', `/connections/${id}/trace`);
    expect(read.body.active).toBe(false);
    expect(read.body.frames.map((f) => `${f.direction} ${f.command}`)).toEqual([
      'in BOGUS',
      'out ERROR',
    ]);
  });

  it('answers 404 naming an unknown connection', async () => {
    const ctx = await startBroker();
    const started = await api(ctx)<{ error: string }>('POST', '/connections/no-such-conn/trace');
    expect(started.status).toBe(404);
    expect(started.body.error).toContain('no-such-conn');
  });
});
