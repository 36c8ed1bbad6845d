/**
 * The admin verbs of the `stompede` command, in the style of rabbitmqctl and
 * activemq: they talk to a running broker's admin API (docs/admin-api.md).
 */
import type { Command } from 'commander';
import { registerConnectionVerbs } from './connections.js';
import { registerDestinationVerbs } from './destinations.js';
import { registerMessageVerbs } from './messages.js';
import { registerOverviewVerbs } from './overview.js';
import { registerRoutingVerbs } from './routing.js';

export function registerAdminCommands(program: Command): void {
  registerOverviewVerbs(program);
  registerDestinationVerbs(program);
  registerMessageVerbs(program);
  registerConnectionVerbs(program);
  registerRoutingVerbs(program);
}
