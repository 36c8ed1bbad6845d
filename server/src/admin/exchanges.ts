/** RabbitMQ-style exchanges and their bindings (rabbitmqctl list_exchanges / list_bindings). */
import type { Route } from './router.js';

export const exchangeRoutes: Route[] = [
  {
    method: 'GET',
    path: '/exchanges',
    access: 'monitor',
    handle: (call) =>
      call.broker.admin.exchangeRegistry
        .all()
        .map((exchange) => ({
          name: exchange.name,
          type: exchange.type,
          bindings: exchange.bindingCount,
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
  },
  {
    method: 'GET',
    path: '/bindings',
    access: 'monitor',
    handle: (call) =>
      call.broker.admin.exchangeRegistry.all().flatMap((exchange) =>
        exchange.listBindings().map((binding) => ({
          exchange: exchange.name,
          // Private queues behind a plain exchange subscription have internal keys; show their destination.
          queue: binding.queue.name.startsWith('\u0000') ? '' : binding.queue.name,
          destination: binding.queue.destination,
          key: binding.key,
          arguments: binding.args,
        })),
      ),
  },
];
