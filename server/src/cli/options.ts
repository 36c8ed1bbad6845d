/** Options and errors shared by the client verbs (`tail`, `publish`, `subscribe`). */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CONFIG } from '../config.js';

/** An error that ends the command with one line on stderr and this exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The local broker's default TCP listener. */
export const DEFAULT_URL = `stomp://${DEFAULT_CONFIG.host}:${DEFAULT_CONFIG.tcpPort ?? 61613}`;

export interface ConnectionFlags {
  url: string;
  login?: string;
  passcode?: string;
  token?: string;
  quiet?: boolean;
}

/** `--url`, `--login`, `--passcode`, `--token` and `--quiet`, the same on every client verb. */
export function addConnectionOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--url <url>',
        'broker URL: stomp://, stomp+ssl://, ws:// or wss:// (a ws URL without a path uses /stomp)',
      )
        .env('STOMPEDE_URL')
        .default(DEFAULT_URL),
    )
    .addOption(new Option('--login <login>', 'STOMP login').env('STOMPEDE_LOGIN'))
    .addOption(new Option('--passcode <passcode>', 'STOMP passcode').env('STOMPEDE_PASSCODE'))
    .addOption(
      new Option('--token <jwt>', 'a JWT, sent as the passcode (login "jwt" unless --login)')
        .env('STOMPEDE_TOKEN')
        .conflicts('passcode'),
    )
    .option('-q, --quiet', 'no progress notes on stderr (errors are still reported)');
}

/** A whole number >= min, for commander. */
export function intArg(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    }
    return n;
  };
}

/** `--header k=v`, repeatable: collects into one record. */
export function headerArg(value: string, previous: Record<string, string> = {}) {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected NAME=VALUE, got "${value}"`);
  return { ...previous, [value.slice(0, eq).trim()]: value.slice(eq + 1) };
}

/** Print a progress note on stderr unless --quiet. */
export function noteFor(command: string, quiet: boolean | undefined): (message: string) => void {
  return (message) => {
    if (!quiet) process.stderr.write(`stompede ${command}: ${message}\n`);
  };
}

/** Report a problem on stderr, always. */
export function warn(command: string, message: string): void {
  process.stderr.write(`stompede ${command}: ${message}\n`);
}

/** Report what ends the command, the same way as a thrown CliError. */
export function fatal(message: string): void {
  process.stderr.write(`stompede: ${message}\n`);
}

/** Exit once stdout has taken everything written so far. */
export function exitAfterFlush(code: number): void {
  if (process.stdout.writableLength === 0) process.exit(code);
  process.stdout.write('', () => process.exit(code));
  // A stdout whose reader went away must not keep us alive.
  setTimeout(() => process.exit(code), 2000).unref();
}
