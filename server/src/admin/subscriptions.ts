/** Subscription endpoints: live subscriptions, consumers of a destination, durable subscriptions. */
import { resolveDestination } from '../broker/destination.js';
import { matchesPattern } from '../broker/pattern.js';
import { logAdminAction } from '../logger.js';
import { AdminError, badRequest, notFound } from './errors.js';
import type { Route } from './router.js';

/** `/queue/X`, `/topic/X` and their RabbitMQ aliases, as one canonical name. */
function canonical(destination: string): string {
  const resolved = resolveDestination(destination);
  if (resolved.kind === 'queue') return `/queue/${resolved.name}`;
  if (resolved.kind === 'topic') return `/topic/${resolved.name}`;
  return destination;
}

export const subscriptionRoutes: Route[] = [
  {
    method: 'GET',
    path: '/subscriptions',
    access: 'monitor',
    handle: (call) => call.host.subscriptions(),
  },
  {
    method: 'GET',
    path: '/consumers',
    access: 'monitor',
    handle: (call) => {
      const all = call.host.subscriptions();
      const wanted = call.query.get('destination');
      if (wanted === null) return all;
      if (!/^\/(queue|topic|amq\/queue|exchange\/amq\.topic)\//.test(wanted)) {
        throw badRequest(
          `Query parameter 'destination' must be a /queue/… or /topic/… destination; got '${wanted.slice(0, 80)}'.`,
        );
      }
      const target = canonical(wanted);
      return all.filter((s) => matchesPattern(canonical(s.destination), target));
    },
  },
  {
    method: 'GET',
    path: '/durable-subscriptions',
    access: 'monitor',
    handle: (call) =>
      call.broker.durables.describe().map(({ record, queue, online }) => ({
        clientId: record.clientId,
        name: record.name,
        destination: record.destination,
        selector: record.selector,
        online,
        pending: queue.depth,
        inFlight: queue.inFlight,
        createdAt: new Date(record.createdAt).toISOString(),
      })),
  },
  {
    method: 'DELETE',
    path: '/durable-subscriptions/:clientId/:name',
    access: 'admin',
    handle: async (call) => {
      const { clientId, name } = call.params as { clientId: string; name: string };
      const found = call.broker.durables
        .describe()
        .find((d) => d.record.clientId === clientId && d.record.name === name);
      if (found === undefined) {
        throw notFound('durable subscription', `${name} of client-id ${clientId}`);
      }
      if (found.online) {
        throw new AdminError(
          409,
          'conflict',
          `The durable subscription ${name} of client-id ${clientId} has a connected subscriber. ` +
            'Close that connection first (DELETE /admin/api/connections/ID), then drop it.',
        );
      }
      await call.broker.removeDurable(found.record.key, name);
      logAdminAction(call.host.logger, {
        action: 'drop-durable-subscription',
        target: found.record.key,
        user: call.user,
      });
      return { deleted: true };
    },
  },
];
