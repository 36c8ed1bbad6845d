/**
 * Compatibility: stomp.py (Debian's python3-stomp, STOMP over TCP). Each role of a scenario is a
 * small script in test/compat/py/ run as its own process (as separate Python services would be);
 * the scripts print JSON lines that these tests assert on. `stomp.Connection` is STOMP 1.1 in
 * stomp.py 8, which is what its users get unless they pick Connection12.
 */
import { describe, expect, it } from 'vitest';
import { type PyEvent, runPy, skipReason, stompPy } from './py-env.js';
import { SELECTOR, SELECTOR_MATCHES, SELECTOR_MESSAGES, startCompatBroker } from './support.js';

if (!stompPy) {
  console.warn(`[compat] skipping stomp.py tests: ${skipReason}`);
}

const bodies = (events: PyEvent[]) =>
  events.filter((e) => e.event === 'message').map((e) => e.body);
const messages = (events: PyEvent[]) => events.filter((e) => e.event === 'message');
const json = (messages: Array<{ body: string; headers?: Record<string, string> }>) =>
  JSON.stringify(messages);

describe.skipIf(!stompPy)(`stomp.py ${stompPy?.version ?? ''} over TCP`, () => {
  it.each([
    ['stomp.Connection10 (1.0)', '1.0', '1.0'],
    ['stomp.Connection (1.1)', 'default', '1.1'],
    ['stomp.Connection12 (1.2)', '1.2', '1.2'],
  ])('publish/subscribe on a topic, %s', async (_label, version, negotiated) => {
    const b = await startCompatBroker();
    const v = ['--stomp-version', version];
    const sub = runPy('consume.py', b.tcpPort, [
      ...v,
      '--dest',
      '/topic/compat.pubsub',
      '--expect',
      '3',
      '--quiet-ms',
      '300',
    ]);
    const connected = await sub.waitFor('connected');
    expect(connected.headers?.version ?? '1.0').toBe(negotiated);
    await sub.waitFor('subscribed');
    const headers = { 'x-lang': 'python', 'x-colon': 'a:b' };
    const pub = runPy('produce.py', b.tcpPort, [
      ...v,
      '--dest',
      '/topic/compat.pubsub',
      '--messages',
      json(['one', 'two', 'three'].map((body) => ({ body, headers }))),
    ]);
    await pub.finished();
    const events = await sub.finished();
    expect(bodies(events)).toEqual(['one', 'two', 'three']);
    expect(sub.of('extra')).toEqual([]);
    const first = messages(events)[0]!;
    expect(first.headers?.destination).toBe('/topic/compat.pubsub');
    expect(first.headers?.['x-lang']).toBe('python');
    expect(first.headers?.['x-colon']).toBe('a:b');
  });

  it.each([
    ['stomp.Connection (1.1)', 'default'],
    ['stomp.Connection12 (1.2)', '1.2'],
  ])(
    'queue with client-individual acks, %s: unacked messages are redelivered, flagged, to a new consumer',
    async (_label, version) => {
      const b = await startCompatBroker();
      const v = ['--stomp-version', version];
      const queue = ['--dest', '/queue/compat.acks'];
      const sent = ['m0', 'm1', 'm2', 'm3', 'm4'];
      await runPy('produce.py', b.tcpPort, [
        ...v,
        ...queue,
        '--messages',
        json(sent.map((body) => ({ body, headers: { persistent: 'true' } }))),
      ]).finished();

      const first = await runPy('consume.py', b.tcpPort, [
        ...v,
        ...queue,
        '--ack',
        'client-individual',
        '--expect',
        '5',
        '--ack-indexes',
        '0,2',
      ]).finished();
      expect(bodies(first)).toEqual(sent);
      expect(messages(first).every((m) => m.headers?.redelivered !== 'true')).toBe(true);
      expect(first.filter((e) => e.event === 'acked').map((e) => e.body)).toEqual(['m0', 'm2']);

      const second = runPy('consume.py', b.tcpPort, [
        ...v,
        ...queue,
        '--ack',
        'client-individual',
        '--expect',
        '3',
        '--quiet-ms',
        '300',
      ]);
      const events = await second.finished();
      expect(bodies(events).sort()).toEqual(['m1', 'm3', 'm4']);
      for (const m of messages(events)) expect(m.headers?.redelivered).toBe('true');
      expect(second.of('extra')).toEqual([]);
    },
  );

  it('selector on a topic subscription: only matching messages arrive', async () => {
    const b = await startCompatBroker();
    const sub = runPy('consume.py', b.tcpPort, [
      '--dest',
      '/topic/compat.sel',
      '--selector',
      SELECTOR,
      '--expect',
      String(SELECTOR_MATCHES.length),
      '--quiet-ms',
      '300',
    ]);
    await sub.waitFor('subscribed');
    await runPy('produce.py', b.tcpPort, [
      '--dest',
      '/topic/compat.sel',
      '--messages',
      json(SELECTOR_MESSAGES),
    ]).finished();
    const events = await sub.finished();
    expect(bodies(events)).toEqual(SELECTOR_MATCHES);
    expect(sub.of('extra')).toEqual([]);
  });

  it('durable subscription (client-id + activemq.subscriptionName) keeps messages while offline', async () => {
    const b = await startCompatBroker();
    const durable = [
      '--client-id',
      'compat-py-durable',
      '--sub-name',
      'py-sub',
      '--dest',
      '/topic/compat.durable',
    ];
    await runPy('consume.py', b.tcpPort, [...durable, '--expect', '0']).finished();
    await runPy('produce.py', b.tcpPort, [
      '--dest',
      '/topic/compat.durable',
      '--messages',
      json(['d1', 'd2', 'd3'].map((body) => ({ body, headers: { persistent: 'true' } }))),
    ]).finished();
    const back = runPy('consume.py', b.tcpPort, [...durable, '--expect', '3', '--quiet-ms', '300']);
    const events = await back.finished();
    expect(bodies(events)).toEqual(['d1', 'd2', 'd3']);
    expect(back.of('extra')).toEqual([]);
  });

  it('request/reply through a temp queue, ActiveMQ style (requester subscribes first)', async () => {
    const b = await startCompatBroker();
    const responder = runPy('rpc_responder.py', b.tcpPort, ['--dest', '/queue/rpc']);
    await responder.waitFor('subscribed');
    const requester = runPy('rpc_requester.py', b.tcpPort, [
      '--dest',
      '/queue/rpc',
      '--reply-to',
      '/temp-queue/replies',
      '--correlation-id',
      'corr-py-1',
      '--body',
      'ping',
    ]);
    await requester.finished();
    const [reply] = requester.of('reply');
    expect(reply?.body).toBe('pong:ping');
    expect(reply?.headers?.['correlation-id']).toBe('corr-py-1');
    await responder.finished();
    const [request] = responder.of('request');
    expect(request?.headers?.['correlation-id']).toBe('corr-py-1');
    expect(request?.headers?.['reply-to']).toMatch(/^\/reply-queue\//);
  });

  it('RabbitMQ tutorial: fanout exchange "logs" reaches every subscriber', async () => {
    const b = await startCompatBroker({ exchanges: [{ name: 'logs', type: 'fanout' }] });
    const logs = ['info: a', 'warn: b', 'error: c'];
    const consumer = () =>
      runPy('consume.py', b.tcpPort, [
        '--dest',
        '/exchange/logs',
        '--expect',
        '3',
        '--quiet-ms',
        '300',
      ]);
    const one = consumer();
    const two = consumer();
    await Promise.all([one.waitFor('subscribed'), two.waitFor('subscribed')]);
    await runPy('produce.py', b.tcpPort, [
      '--dest',
      '/exchange/logs',
      '--messages',
      json(logs.map((body) => ({ body }))),
    ]).finished();
    expect(bodies(await one.finished())).toEqual(logs);
    expect(bodies(await two.finished())).toEqual(logs);
  });
});
