/** The client verbs of the `stompede` command: `tail`, `publish`, `subscribe`. */
import type { Command } from 'commander';
import { registerPublish } from './publish.js';
import { registerSubscribe } from './subscribe.js';
import { registerTail } from './tail.js';

export { CliError } from './options.js';

export function registerClientCommands(program: Command): void {
  registerTail(program);
  registerPublish(program);
  registerSubscribe(program);
}
