/** The admin API: every resource group's routes on one router. */
import { connectionRoutes } from './connections.js';
import type { AdminHost } from './host.js';
import { overviewRoutes } from './overview.js';
import { queueRoutes } from './queues.js';
import { AdminRouter } from './router.js';
import { topicRoutes } from './topics.js';

export function createAdminApi(host: AdminHost): AdminRouter {
  const router = new AdminRouter(host);
  router.add(overviewRoutes);
  router.add(queueRoutes);
  router.add(topicRoutes);
  router.add(connectionRoutes);
  return router;
}
