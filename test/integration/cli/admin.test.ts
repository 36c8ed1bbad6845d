/**
 * The admin verbs (`stompede queues`, `browse`, `purge`, …): the built CLI as
 * child processes against a real broker carrying real traffic.
 */
import { createServer } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { type BrokerContext, startBroker } from '../../helpers/broker.js';
import { uniqueName } from '../../helpers/raw-client.js';
import { usersFile } from '../security/auth-support.js';
import { stompede, stompedeJson } from './admin-support.js';

vi.setConfig({ testTimeout: 60_000 });

const DLQ_RULES = [{ match: '/queue/cli-dlq.>', maxRedeliveries: 0 }];

function urlOf(ctx: BrokerContext): string[] {
  return ['--url', `http://127.0.0.1:${ctx.addr.ws.port}`];
}

interface QueueRow {
  name: string;
  destination: string;
  depth: number;
  enqueued: number;
  consumers: number;
  dlq: { name: string; depth: number } | null;
}

async function queueRow(ctx: BrokerContext, name: string): Promise<QueueRow | undefined> {
  const rows = await stompedeJson<QueueRow[]>(['queues', ...urlOf(ctx)]);
  return rows.find((q) => q.name === name);
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('stompede admin verbs', () => {
  it('queues, browse, describe, purge and delete match the traffic the test sent', async () => {
    const ctx = await startBroker();
    const url = urlOf(ctx);
    const name = uniqueName('cli-q');
    const producer = await ctx.connectTcp();
    for (let i = 1; i <= 3; i++) await producer.publish(`/queue/${name}`, `body ${i}`);

    const row = await queueRow(ctx, name);
    expect(row).toMatchObject({
      destination: `/queue/${name}`,
      depth: 3,
      enqueued: 3,
      consumers: 0,
    });
    const table = await stompede(['queues', ...url]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`/queue/${name}\\s.*\\b3\\b`));

    const browsed = await stompedeJson<{ bodyPreview: string }[]>([
      'browse',
      name,
      '--count',
      '2',
      ...url,
    ]);
    expect(browsed.map((m) => m.bodyPreview)).toEqual(['body 1', 'body 2']);
    const browseTable = await stompede(['browse', `/queue/${name}`, ...url]);
    expect(browseTable.stdout).toContain('body 3');
    expect((await queueRow(ctx, name))?.depth).toBe(3); // browsing consumed nothing

    const described = await stompede(['describe', `/queue/${name}`, ...url]);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/depth\s*│?\s*3/);

    const purged = await stompede(['purge', name, ...url]);
    expect(purged.code).toBe(0);
    expect(purged.stdout).toContain(`purged 3 message(s) from ${name}`);
    expect((await queueRow(ctx, name))?.depth ?? 0).toBe(0);
    const consumer = await ctx.connectTcp();
    await consumer.subscribe(`/queue/${name}`, 'c');
    await consumer.expectNoMessage();

    await consumer.unsubscribe('c');
    await producer.publish(`/queue/${name}`, 'to be deleted');
    const deleted = await stompede(['delete', `/queue/${name}`, ...url]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`deleted /queue/${name}`);
    expect(await queueRow(ctx, name)).toBeUndefined();
  });

  it('dlq replay moves dead-lettered messages back to their queue', async () => {
    const ctx = await startBroker({ destinations: DLQ_RULES });
    const url = urlOf(ctx);
    const name = `cli-dlq.${uniqueName('orders')}`;
    const client = await ctx.connectTcp();
    await client.subscribe(`/queue/${name}`, 's', { ack: 'client-individual' });
    for (const body of ['first', 'second']) {
      await client.publish(`/queue/${name}`, body);
      const message = await client.message((f) => f.body.toString() === body);
      await client.sendWithReceipt('NACK', { id: message.headers.ack! });
    }
    await client.unsubscribe('s');
    // The origin queue is now idle (empty, no consumers), so the broker forgot it; the DLQ holds both.
    expect(await queueRow(ctx, name)).toBeUndefined();
    expect((await queueRow(ctx, `DLQ.${name}`))?.depth).toBe(2);

    const replayed = await stompede(['dlq', 'replay', `DLQ.${name}`, ...url]);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toContain('moved 2 message(s)');
    const after = await queueRow(ctx, name);
    expect(after).toMatchObject({ depth: 2, dlq: { name: `DLQ.${name}`, depth: 0 } });
    expect((await queueRow(ctx, `DLQ.${name}`))?.depth ?? 0).toBe(0);
    const back = await stompedeJson<{ bodyPreview: string }[]>(['browse', name, ...url]);
    expect(back.map((m) => m.bodyPreview)).toEqual(['first', 'second']);
  });

  it('status, connections and topics count what the test opened and sent', async () => {
    const ctx = await startBroker();
    const url = urlOf(ctx);
    const topic = uniqueName('cli-t');
    const subscriber = await ctx.connectTcp({}, 'subscriber');
    await subscriber.subscribe(`/topic/${topic}`, 't');
    const publisher = await ctx.connectTcp({ login: 'pat' }, 'publisher');
    for (let i = 0; i < 4; i++) await publisher.publish(`/topic/${topic}`, `t${i}`);
    await subscriber.messages(4);

    const status = await stompedeJson<{ version: string; connections: { total: number } }>([
      'status',
      ...url,
    ]);
    expect(status.connections.total).toBe(2);
    const statusText = await stompede(['status', ...url]);
    expect(statusText.stdout).toContain(`stompede ${status.version}`);

    const connections = await stompedeJson<{ user: string; transport: string }[]>([
      'connections',
      ...url,
    ]);
    expect(connections).toHaveLength(2);
    expect(connections.map((c) => c.transport)).toEqual(['tcp', 'tcp']);
    const connectionsText = await stompede(['connections', ...url]);
    expect(connectionsText.stdout).toContain('pat');

    const topics = await stompedeJson<{ name: string; subscribers: number; published: number }[]>([
      'topics',
      ...url,
    ]);
    expect(topics.find((t) => t.name === topic)).toMatchObject({ subscribers: 1, published: 4 });

    const stats = await stompede(['stats', ...url]);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toContain(`/topic/${topic}`);
    expect(stats.stdout).toMatch(/totals: published \d+/);

    const cluster = await stompede(['cluster', ...url]);
    expect(cluster.code).toBe(0);
    expect(cluster.stdout).toContain('cluster: off');
    expect(cluster.stdout).toContain(`127.0.0.1:${ctx.addr.ws.port}`);
  });

  it("prints the broker's error and exits 1 for an unknown queue", async () => {
    const ctx = await startBroker();
    const result = await stompede(['browse', 'no-such-queue', ...urlOf(ctx)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('No queue /queue/no-such-queue on this broker.');
    expect(result.stdout).toBe('');
  });

  it('exits 3 when the broker cannot be reached, and 2 on a usage error', async () => {
    const port = await closedPort();
    const unreachable = await stompede(['queues', '--url', `http://127.0.0.1:${port}`]);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain(`cannot reach the broker at http://127.0.0.1:${port}`);

    const missing = await stompede(['browse']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'queue'");
    const badCount = await stompede(['browse', 'q', '--count', 'many']);
    expect(badCount.code).toBe(2);
    const notAUrl = await stompede(['status', '--url', 'not a url']);
    expect(notAUrl.code).toBe(2);
  });

  it('exits 3 with the broker message on 401, and works with credentials from flags or env', async () => {
    const file = await usersFile({ mona: ['monitor-pass', ['monitor']] });
    const ctx = await startBroker({ auth: { usersFile: file, throttle: { baseMs: 0 } } });
    const url = urlOf(ctx);

    const anonymous = await stompede(['queues', ...url]);
    expect(anonymous.code).toBe(3);
    expect(anonymous.stderr).toContain('The admin API needs credentials');

    const wrong = await stompede(['queues', ...url, '--user', 'mona', '--password', 'nope']);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('The credentials were not accepted');

    const flags = await stompede([
      'queues',
      ...url,
      '--user',
      'mona',
      '--password',
      'monitor-pass',
    ]);
    expect(flags.code, flags.stderr).toBe(0);
    const env = await stompede(['topics', '--json'], {
      STOMPEDE_ADMIN_URL: url[1]!,
      STOMPEDE_USER: 'mona',
      STOMPEDE_PASSWORD: 'monitor-pass',
    });
    expect(env.code, env.stderr).toBe(0);
    expect(JSON.parse(env.stdout)).toEqual([]);
  });
});
