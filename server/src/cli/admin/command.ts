/** One admin verb: its common options, usage exit code, and the client it runs with. */
import type { Command } from 'commander';
import { AdminClient, type AdminFlags, addAdminOptions, usageExits } from './client.js';

/**
 * Declare `stompede NAME` (or a subcommand of `parent`) with the admin
 * options; `run` gets the flags and a client built from them.
 */
export function adminVerb(parent: Command, nameAndArgs: string, description: string): Command {
  const command = parent.command(nameAndArgs).description(description);
  usageExits(command);
  return addAdminOptions(command);
}

/**
 * The action for commander: the last two arguments are the flags and the
 * command; the ones before are the verb's positional arguments.
 */
export function withClient<Flags extends AdminFlags>(
  run: (client: AdminClient, flags: Flags, ...args: string[]) => Promise<void>,
): (...argv: unknown[]) => Promise<void> {
  return async (...argv) => {
    const flags = argv[argv.length - 2] as Flags;
    const args = argv.slice(0, -2) as string[];
    await run(new AdminClient(flags), flags, ...args);
  };
}
