/** The admin API: every resource group's routes on one router. */
import { actionRoutes } from './actions.js';
import { connectionRoutes } from './connections.js';
import { exchangeRoutes } from './exchanges.js';
import type { AdminHost } from './host.js';
import { overviewRoutes } from './overview.js';
import { queueRoutes } from './queues.js';
import { AdminRouter } from './router.js';
import { subscriptionRoutes } from './subscriptions.js';
import { topicRoutes } from './topics.js';
import { traceRoutes } from './trace-routes.js';

export function createAdminApi(host: AdminHost): AdminRouter {
  const router = new AdminRouter(host);
  router.add(overviewRoutes);
  router.add(queueRoutes);
  router.add(topicRoutes);
  router.add(connectionRoutes);
  router.add(subscriptionRoutes);
  router.add(exchangeRoutes);
  router.add(actionRoutes);
  router.add(traceRoutes(host.frameTracer));
  return router;
}
