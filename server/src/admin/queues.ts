/** Queue endpoints: list, describe, browse, purge, delete, DLQ replay. */
import { isUtf8 } from 'node:buffer';
import type { Broker } from '../broker/broker.js';
import { deadLetterQueueName } from '../broker/dead-letter.js';
import type { QueueEntry } from '../broker/message.js';
import type { Queue } from '../broker/queue.js';
import { replayDeadLetters } from '../broker/replay.js';
import { AdminError, notFound } from './errors.js';
import { type AdminCall, intParam, type Route } from './router.js';

/** Characters of a body shown by browse. */
const PREVIEW_CHARS = 256;
const BROWSE_DEFAULT = 50;
const BROWSE_MAX = 1000;

export function queueSummary(broker: Broker, queue: Queue) {
  return {
    name: queue.name,
    destination: `/queue/${queue.name}`,
    depth: queue.depth,
    inFlight: queue.inFlight,
    consumers: queue.consumerCount,
    enqueued: queue.enqueued,
    dequeued: queue.dequeued,
    redelivered: queue.redelivered,
    expired: queue.expired,
    deadLettered: queue.deadLettered,
    dropped: queue.dropped,
    dlq: deadLetterQueueOf(broker, queue),
    rates: {
      inPerSec: round(queue.rates.in.perSecond()),
      outPerSec: round(queue.rates.out.perSecond()),
    },
  };
}

function deadLetterQueueOf(broker: Broker, queue: Queue): { name: string; depth: number } | null {
  const template = queue.policy.deadLetterQueue;
  if (template === '' || queue.args.deadLetterExchange !== '') return null;
  const name = deadLetterQueueName(template, queue);
  if (name === queue.name) return null;
  return { name, depth: broker.admin.findQueue(name)?.depth ?? 0 };
}

export function round(rate: number): number {
  return Math.round(rate * 100) / 100;
}

function queueOf(call: AdminCall): Queue {
  const name = call.params.name!;
  const queue = call.broker.admin.findQueue(name);
  if (queue === undefined) throw notFound('queue', `/queue/${name}`);
  return queue;
}

export function entryView(entry: QueueEntry) {
  const message = entry.message;
  const body = message.body;
  const text = body.subarray(0, PREVIEW_CHARS * 4);
  const utf8 = isUtf8Prefix(text);
  return {
    messageId: message.id,
    seq: message.seq,
    headers: { ...message.headers },
    bodyPreview: utf8
      ? text.toString('utf8').slice(0, PREVIEW_CHARS)
      : body.subarray(0, (PREVIEW_CHARS / 4) * 3).toString('base64'),
    bodyEncoding: utf8 ? 'utf8' : 'base64',
    bodySize: body.length,
    redelivered: entry.deliveries > 0,
    deliveries: entry.deliveries,
    timestamp: message.timestamp,
    expires: entry.expiresAt,
    priority: message.priority,
    persistent: message.persistent,
  };
}

/** UTF-8 text, allowing a multi-byte character cut off at the end of the preview slice. */
function isUtf8Prefix(bytes: Buffer): boolean {
  for (let cut = 0; cut <= 3 && cut < bytes.length; cut++) {
    if (isUtf8(bytes.subarray(0, bytes.length - cut))) return true;
  }
  return bytes.length === 0;
}

const destinationOf = (params: Readonly<Record<string, string>>) => `/queue/${params.name}`;
const queueTarget = (call: AdminCall) => `/queue/${call.params.name}`;

export const queueRoutes: Route[] = [
  {
    method: 'GET',
    path: '/queues',
    access: 'monitor',
    handle: (call) =>
      call.broker.admin
        .namedQueues()
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((queue) => queueSummary(call.broker, queue)),
  },
  {
    method: 'GET',
    path: '/queues/:name',
    access: 'monitor',
    handle: (call) => {
      const queue = queueOf(call);
      const destination = `/queue/${queue.name}`;
      return {
        ...queueSummary(call.broker, queue),
        consumers: call.host.subscriptions().filter((s) => sameQueue(s.destination, destination)),
        consumerCount: queue.consumerCount,
        policy: queue.policy,
      };
    },
  },
  {
    method: 'GET',
    path: '/queues/:name/messages',
    access: 'monitor',
    handle: (call) => {
      const limit = intParam(call.query, 'limit', BROWSE_DEFAULT, 1, BROWSE_MAX);
      return queueOf(call).browse(limit).map(entryView);
    },
  },
  {
    method: 'DELETE',
    path: '/queues/:name/messages',
    access: 'admin',
    destinationOf,
    action: { name: 'purge', target: queueTarget },
    handle: (call) => ({ purged: queueOf(call).purge() }),
  },
  {
    method: 'DELETE',
    path: '/queues/:name',
    access: 'admin',
    destinationOf,
    action: { name: 'delete-destination', target: queueTarget },
    handle: (call) => {
      const queue = queueOf(call);
      if (queue.consumerCount > 0) {
        throw new AdminError(
          409,
          'conflict',
          `Queue /queue/${queue.name} has ${queue.consumerCount} consumer(s); deleting it would strand them. ` +
            'Close those connections first (DELETE /admin/api/connections/ID), or purge the queue instead.',
        );
      }
      const purged = call.broker.admin.deleteQueue(queue.name);
      return { deleted: true, purged };
    },
  },
  {
    method: 'POST',
    path: '/queues/:name/replay',
    access: 'admin',
    destinationOf,
    action: { name: 'dlq-replay', target: queueTarget },
    handle: (call) => {
      const result = replayDeadLetters(call.broker, call.params.name!);
      if (result === null) throw notFound('queue', `/queue/${call.params.name}`);
      return result;
    },
  },
];

/** `/queue/X` and RabbitMQ's `/amq/queue/X` are the same queue. */
function sameQueue(subscribed: string, destination: string): boolean {
  return (
    subscribed === destination ||
    (subscribed.startsWith('/amq/queue/') && `/queue/${subscribed.slice(11)}` === destination)
  );
}
