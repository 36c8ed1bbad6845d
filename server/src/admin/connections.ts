/** Connection endpoints: list, describe, close. */

import { logAdminAction } from '../logger.js';
import { notFound } from './errors.js';
import type { Route } from './router.js';

export const connectionRoutes: Route[] = [
  {
    method: 'GET',
    path: '/connections',
    access: 'monitor',
    handle: (call) => call.host.connections(),
  },
  {
    method: 'GET',
    path: '/connections/:id',
    access: 'monitor',
    handle: (call) => {
      const id = call.params.id!;
      const connection = call.host.connection(id);
      if (connection === undefined) throw notFound('connection', id);
      return { ...connection, subscriptions: call.host.subscriptions(id) };
    },
  },
  {
    method: 'DELETE',
    path: '/connections/:id',
    access: 'admin',
    handle: (call) => {
      const id = call.params.id!;
      if (!call.host.closeConnection(id, call.user)) throw notFound('connection', id);
      logAdminAction(call.host.logger, { action: 'close-connection', target: id, user: call.user });
      return { closed: true };
    },
  },
];
