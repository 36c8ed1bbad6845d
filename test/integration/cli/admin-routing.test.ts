/**
 * The admin verbs for sending, routing and lifecycle (`send`, `explain`,
 * `consumers`, `exchanges`, `bindings`, `stop`): the built CLI against a
 * real broker with real subscribers.
 */
import { describe, expect, it, vi } from 'vitest';
import { type BrokerContext, startBroker } from '../../helpers/broker.js';
import { uniqueName } from '../../helpers/raw-client.js';
import { stompede, stompedeJson } from './admin-support.js';

vi.setConfig({ testTimeout: 60_000 });

function urlOf(ctx: BrokerContext): string[] {
  return ['--url', `http://127.0.0.1:${ctx.addr.ws.port}`];
}

describe('stompede admin verbs: send, routing, stop', () => {
  it('send delivers a message with its headers to a real subscriber', async () => {
    const ctx = await startBroker();
    const queue = `/queue/${uniqueName('cli-send')}`;
    const consumer = await ctx.connectTcp();
    await consumer.subscribe(queue, 'c');
    const sent = await stompede([
      'send',
      queue,
      'hello from the CLI',
      '--header',
      'kind=greeting',
      ...urlOf(ctx),
    ]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(new RegExp(`^sent \\S+ to ${queue}`));
    const message = await consumer.message();
    expect(message.body.toString()).toBe('hello from the CLI');
    expect(message.headers.kind).toBe('greeting');
  });

  it('consumers and explain name the subscriptions, and why a selector refused one', async () => {
    const ctx = await startBroker();
    const url = urlOf(ctx);
    const topic = `/topic/${uniqueName('cli-prices')}`;
    const eu = await ctx.connectTcp({}, 'eu');
    await eu.subscribe(topic, 'eu-sub', { selector: "region = 'eu'" });
    const us = await ctx.connectTcp({}, 'us');
    await us.subscribe(topic, 'us-sub', { selector: "region = 'us'" });

    const consumers = await stompedeJson<{ id: string; destination: string }[]>([
      'consumers',
      topic,
      ...url,
    ]);
    expect(consumers.map((c) => c.id).sort()).toEqual(['eu-sub', 'us-sub']);
    const table = await stompede(['consumers', ...url]);
    expect(table.stdout).toContain('eu-sub');

    const explained = await stompedeJson<{
      matched: { subscriptionId: string }[];
      rejected: { subscriptionId: string; reason: string }[];
    }>(['explain', topic, '--header', 'region=eu', ...url]);
    expect(explained.matched.map((m) => m.subscriptionId)).toEqual(['eu-sub']);
    expect(explained.rejected).toEqual([
      expect.objectContaining({ subscriptionId: 'us-sub', reason: 'selector' }),
    ]);
    const text = await stompede(['explain', topic, '--header', 'region=eu', ...url]);
    expect(text.stdout).toContain('1 would receive it, 1 would not');
    expect(text.stdout).toMatch(/us-sub.*selector/);
  });

  it('exchanges and bindings list a declared exchange and its binding', async () => {
    const ctx = await startBroker({ exchanges: [{ name: 'cli-orders', type: 'direct' }] });
    const url = urlOf(ctx);
    const client = await ctx.connectTcp();
    await client.subscribe('/exchange/cli-orders/eu', 'x');
    const exchanges = await stompedeJson<{ name: string; type: string }[]>(['exchanges', ...url]);
    expect(exchanges).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'cli-orders', type: 'direct' })]),
    );
    const bindings = await stompedeJson<{ exchange: string; key: string }[]>(['bindings', ...url]);
    expect(bindings).toEqual(
      expect.arrayContaining([expect.objectContaining({ exchange: 'cli-orders', key: 'eu' })]),
    );
    const table = await stompede(['exchanges', ...url]);
    expect(table.stdout).toMatch(/cli-orders\s.*direct/);
  });

  it('stop shuts the broker down and waits until it is gone', async () => {
    const ctx = await startBroker();
    const client = await ctx.connectTcp();
    const stopped = await stompede(['stop', ...urlOf(ctx)]);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain('the broker has stopped');
    await client.expectClosed();
    const after = await stompede(['status', ...urlOf(ctx)]);
    expect(after.code).toBe(3);
  });
});
