/**
 * The six RabbitMQ tutorials, done the way RabbitMQ's STOMP plugin users write them:
 * hello world, work queues (prefetch-count:1, client acks, fair dispatch),
 * publish/subscribe (fanout "logs"), routing (direct "direct_logs"),
 * topics ("topic_logs") and RPC (reply-to a temp queue, correlation-id).
 */
import { describe, expect, it, vi } from 'vitest';
import {
  bodiesOf,
  drainMessages,
  firstMessage,
  settle,
  startCompatBroker,
} from '../../helpers/compat.js';
import type { RawStompClient } from '../../helpers/raw-client.js';
import { uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

/** RabbitMQ clients typically say so on CONNECT; the flows must work either way. */
const MODES: Array<[string, Record<string, unknown>, Record<string, string>]> = [
  ['default config', {}, {}],
  ['compat: rabbitmq', { compat: 'rabbitmq' }, {}],
  ['x-compat:rabbitmq on CONNECT', {}, { 'x-compat': 'rabbitmq' }],
];

for (const [mode, config, connectHeaders] of MODES) {
  describe(`RabbitMQ tutorials over STOMP (${mode})`, () => {
    const start = () => startCompatBroker(config);
    const connect = (b: Awaited<ReturnType<typeof start>>, label: string) =>
      b.connectTcp({ login: 'guest', passcode: 'guest', host: '/', ...connectHeaders }, label);

    it('1 "Hello World": /queue/hello', async () => {
      const b = await start();
      const receiver = await connect(b, 'receive');
      await receiver.subscribe('/queue/hello', 'hello');
      const sender = await connect(b, 'send');
      await sender.publish('/queue/hello', 'Hello World!');
      expect((await receiver.message()).bodyText).toBe('Hello World!');
    });

    it('2 work queues: persistent tasks, prefetch-count:1, client acks, fair dispatch', async () => {
      const b = await start();
      const q = '/queue/task_queue';
      const sub = { ack: 'client', 'prefetch-count': '1', durable: 'true', 'auto-delete': 'false' };
      const w1 = await connect(b, 'worker1');
      await w1.subscribe(q, 'w1', sub);
      const w2 = await connect(b, 'worker2');
      await w2.subscribe(q, 'w2', sub);
      const producer = await connect(b, 'new_task');
      // w1 gets the long task first and keeps it unacknowledged...
      await producer.publish(q, 'long.........', { persistent: 'true' });
      const { frame: long, client: busy } = await firstMessage([w1, w2]);
      const free = busy === w1 ? w2 : w1;
      expect(long.bodyText).toBe('long.........');
      // ...so with prefetch 1 every short task goes to the other worker, one at a time.
      for (let i = 1; i <= 4; i++) await producer.publish(q, `short.${i}`, { persistent: 'true' });
      const done: string[] = [];
      for (let i = 1; i <= 4; i++) {
        const f = await free.message();
        done.push(f.bodyText);
        // Not yet acked: nothing else may be in flight to it.
        expect(await drainMessages(free)).toEqual([]);
        await settle(free, 'ACK', f);
      }
      expect(done).toEqual(['short.1', 'short.2', 'short.3', 'short.4']);
      expect(await drainMessages(busy)).toEqual([]);
      await settle(busy, 'ACK', long);
      await producer.publish(q, 'after-ack', { persistent: 'true' });
      const { frame: next } = await firstMessage([w1, w2]);
      expect(next.bodyText).toBe('after-ack');
    });

    it('2 work queues: a worker that dies with an unacked task hands it to another worker', async () => {
      const b = await start();
      const q = `/queue/task_queue_${uniqueName('die')}`;
      const sub = { ack: 'client', 'prefetch-count': '1' };
      const dying = await connect(b, 'dying');
      await dying.subscribe(q, 'w', sub);
      const producer = await connect(b, 'producer');
      await producer.publish(q, 'task-1', { persistent: 'true' });
      expect((await dying.message()).bodyText).toBe('task-1');
      const survivor = await connect(b, 'survivor');
      await survivor.subscribe(q, 'w', sub);
      dying.destroy();
      const again = await survivor.message();
      expect(again.bodyText).toBe('task-1');
      expect(again.headers.redelivered).toBe('true');
      await settle(survivor, 'ACK', again);
    });

    it('3 publish/subscribe: fanout "logs", two subscribers each get every message', async () => {
      const b = await startCompatBroker({
        ...config,
        exchanges: [{ name: 'logs', type: 'fanout' }],
      });
      const emit = await connect(b, 'emit_log');
      // Before anyone listens: dropped (no queue bound).
      await emit.publish('/exchange/logs', 'nobody hears this');
      const r1 = await connect(b, 'receive_logs-1');
      const r2 = await connect(b, 'receive_logs-2');
      await r1.subscribe('/exchange/logs', 'logs');
      await r2.subscribe('/exchange/logs', 'logs');
      const logs = ['info: Hello World!', 'warning: disk', 'error: boom'];
      for (const l of logs) await emit.publish('/exchange/logs', l);
      expect(bodiesOf(await r1.messages(3))).toEqual(logs);
      expect(bodiesOf(await r2.messages(3))).toEqual(logs);
      expect(await drainMessages(r1)).toEqual([]);
      expect(await drainMessages(r2)).toEqual([]);
    });

    it('3 publish/subscribe: the fanout exchange may be declared by the subscriber (x-exchange-type)', async () => {
      const b = await start();
      const ex = `logs_${uniqueName('decl').replaceAll('-', '_')}`;
      const r1 = await connect(b, 'r1');
      const r2 = await connect(b, 'r2');
      await r1.subscribe(`/exchange/${ex}`, 'logs', { 'x-exchange-type': 'fanout' });
      await r2.subscribe(`/exchange/${ex}`, 'logs', { 'x-exchange-type': 'fanout' });
      const emit = await connect(b, 'emit');
      await emit.publish(`/exchange/${ex}`, 'one');
      await emit.publish(`/exchange/${ex}/some-key`, 'two');
      expect(bodiesOf(await r1.messages(2))).toEqual(['one', 'two']);
      expect(bodiesOf(await r2.messages(2))).toEqual(['one', 'two']);
    });

    it('4 routing: direct "direct_logs", a subscriber of /error gets only error messages', async () => {
      const b = await startCompatBroker({
        ...config,
        exchanges: [{ name: 'direct_logs', type: 'direct' }],
      });
      const errors = await connect(b, 'errors-to-disk');
      await errors.subscribe('/exchange/direct_logs/error', 'err');
      const screen = await connect(b, 'all-to-screen');
      for (const sev of ['info', 'warning', 'error'])
        await screen.subscribe(`/exchange/direct_logs/${sev}`, sev);
      const emit = await connect(b, 'emit_log_direct');
      const sent: Array<[string, string]> = [
        ['info', 'Run. Run. Or it will explode.'],
        ['error', 'Run. Run. Or it will explode. [error]'],
        ['warning', 'careful'],
        ['debug', 'nobody listens to debug'],
        ['error', 'second error'],
      ];
      for (const [sev, text] of sent) await emit.publish(`/exchange/direct_logs/${sev}`, text);
      expect(bodiesOf(await drainMessages(errors))).toEqual([
        'Run. Run. Or it will explode. [error]',
        'second error',
      ]);
      const onScreen = await drainMessages(screen);
      expect(onScreen.map((f) => `${f.headers.subscription}:${f.bodyText}`)).toEqual([
        'info:Run. Run. Or it will explode.',
        'error:Run. Run. Or it will explode. [error]',
        'warning:careful',
        'error:second error',
      ]);
    });

    it('5 topics: "topic_logs" with *.critical and kern.#', async () => {
      const b = await startCompatBroker({
        ...config,
        exchanges: [{ name: 'topic_logs', type: 'topic' }],
      });
      const critical = await connect(b, 'critical');
      await critical.subscribe('/exchange/topic_logs/*.critical', 'crit');
      const kern = await connect(b, 'kern');
      await kern.subscribe('/exchange/topic_logs/kern.#', 'kern');
      const emit = await connect(b, 'emit_log_topic');
      const keys = [
        'kern.critical',
        'kern.info',
        'cron.critical',
        'kern',
        'anonymous.info',
        'a.b.critical',
        'kern.disk.full',
        'kernel.critical',
      ];
      for (const k of keys) await emit.publish(`/exchange/topic_logs/${k}`, `msg ${k}`);
      expect(bodiesOf(await drainMessages(critical))).toEqual([
        'msg kern.critical',
        'msg cron.critical',
        'msg kernel.critical',
      ]);
      expect(bodiesOf(await drainMessages(kern))).toEqual([
        'msg kern.critical',
        'msg kern.info',
        'msg kern',
        'msg kern.disk.full',
      ]);
    });

    it('5 topics: the exchange declared by the subscriber with x-exchange-type:topic', async () => {
      const b = await start();
      const ex = `topic_logs_${uniqueName('decl').replaceAll('-', '_')}`;
      const c = await connect(b, 'c');
      await c.subscribe(`/exchange/${ex}/*.critical`, 'crit', { 'x-exchange-type': 'topic' });
      await c.subscribe(`/exchange/${ex}/kern.#`, 'kern', { 'x-exchange-type': 'topic' });
      const emit = await connect(b, 'emit');
      for (const k of ['kern.critical', 'x.y.critical', 'kern.a.b'])
        await emit.publish(`/exchange/${ex}/${k}`, k);
      const got = await drainMessages(c);
      expect(got.map((f) => `${f.headers.subscription}:${f.bodyText}`).sort()).toEqual([
        'crit:kern.critical',
        'kern:kern.a.b',
        'kern:kern.critical',
      ]);
    });

    it('6 RPC: reply-to a temp queue, correlation-id, reply through the automatic subscription', async () => {
      const b = await start();
      const server = await connect(b, 'rpc_server');
      await server.subscribe('/queue/rpc_queue', 'rpc', { ack: 'client', 'prefetch-count': '1' });
      const serve = async (c: RawStompClient) => {
        const req = await c.message();
        const n = Number(req.bodyText);
        const fib = (k: number): number => (k < 2 ? k : fib(k - 1) + fib(k - 2));
        await c.publish(req.headers['reply-to']!, String(fib(n)), {
          'correlation-id': req.headers['correlation-id']!,
        });
        await settle(c, 'ACK', req);
        return req;
      };
      const client = await connect(b, 'rpc_client');
      const corr = uniqueName('corr');
      await client.publish('/queue/rpc_queue', '30', {
        'reply-to': '/temp-queue/rpc-replies',
        'correlation-id': corr,
      });
      const req = await serve(server);
      expect(req.headers['reply-to']).toMatch(/^\/reply-queue\//);
      const reply = await client.message();
      expect(reply.bodyText).toBe('832040');
      expect(reply.headers['correlation-id']).toBe(corr);
      expect(reply.headers.subscription).toBe('/temp-queue/rpc-replies');
      // A second call on the same connection reuses the same reply queue.
      await client.publish('/queue/rpc_queue', '10', {
        'reply-to': '/temp-queue/rpc-replies',
        'correlation-id': `${corr}-2`,
      });
      const req2 = await serve(server);
      expect(req2.headers['reply-to']).toBe(req.headers['reply-to']);
      const reply2 = await client.message();
      expect(reply2.bodyText).toBe('55');
      expect(reply2.headers['correlation-id']).toBe(`${corr}-2`);
      expect(reply2.headers.subscription).toBe('/temp-queue/rpc-replies');
    });
  });
}
