/** Topic endpoints: list, describe, delete (history and counters). */
import type { Broker } from '../broker/broker.js';
import { matchesPattern } from '../broker/pattern.js';
import { notFound } from './errors.js';
import { round } from './queues.js';
import type { AdminCall, Route } from './router.js';

export function topicSummary(broker: Broker, name: string) {
  const destination = `/topic/${name}`;
  const stats = broker.topicStats.get(name);
  const history = broker.admin.topicHistory(name);
  let durable = 0;
  for (const record of broker.durables.records()) {
    if (matchesPattern(record.destination, destination)) durable++;
  }
  return {
    name,
    destination,
    subscribers: broker.router.subscribersOf(name),
    durableSubscriptions: durable,
    historySize: history?.size ?? 0,
    history:
      history === null ? null : { maxMessages: history.maxMessages, maxAgeMs: history.maxAgeMs },
    published: stats?.published ?? 0,
    delivered: stats?.delivered ?? 0,
    dropped: stats?.dropped ?? 0,
    rates: {
      inPerSec: round(stats?.rates.in.perSecond() ?? 0),
      outPerSec: round(stats?.rates.out.perSecond() ?? 0),
    },
  };
}

function topicName(call: AdminCall): string {
  const name = call.params.name!;
  if (!call.broker.admin.topicNames().has(name)) throw notFound('topic', `/topic/${name}`);
  return name;
}

export const topicRoutes: Route[] = [
  {
    method: 'GET',
    path: '/topics',
    access: 'monitor',
    handle: (call) =>
      [...call.broker.admin.topicNames()].sort().map((name) => topicSummary(call.broker, name)),
  },
  {
    method: 'GET',
    path: '/topics/:name',
    access: 'monitor',
    handle: (call) => {
      const name = topicName(call);
      const destination = `/topic/${name}`;
      return {
        ...topicSummary(call.broker, name),
        subscriptions: call.host
          .subscriptions()
          .filter(
            (s) =>
              s.destination.startsWith('/topic/') && matchesPattern(s.destination, destination),
          ),
        policy: call.broker.policyFor(destination),
      };
    },
  },
  {
    method: 'DELETE',
    path: '/topics/:name',
    access: 'admin',
    destinationOf: (params) => `/topic/${params.name}`,
    action: { name: 'delete-destination', target: (call) => `/topic/${call.params.name}` },
    handle: (call) => {
      call.broker.admin.deleteTopic(topicName(call));
      return { deleted: true };
    },
  },
];
