/**
 * `stompede config check FILE`: read a YAML or JSON config file and validate
 * it against the schema, as `serve` would, without starting anything. Prints
 * `FILE: ok` (exit 0) or the first problem with its key path, e.g.
 * `limits.maxFrameSize must be an integer >= 1 (got "abc")` (exit 1).
 * Unknown keys are errors, with the nearest known key when one is close.
 */
import type { Command } from 'commander';
import { ConfigError, readConfigFile, resolveConfig } from '../config.js';
import { CliError } from './options.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('work with broker config files');
  config
    .command('check <file>')
    .description(
      'validate a YAML or JSON config file: every key known, every value valid (exit 1 naming the bad key)',
    )
    .action((file: string) => {
      try {
        resolveConfig(readConfigFile(file));
      } catch (err) {
        if (err instanceof ConfigError) throw new CliError(`${file}: ${err.message}`, 1);
        throw err;
      }
      process.stdout.write(`${file}: ok\n`);
    });
}
