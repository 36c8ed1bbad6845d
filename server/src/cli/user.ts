/**
 * `stompede user add NAME [--group G]... [--users-file F]`: add a user to
 * the users file with an scrypt hash of a passcode that is asked for
 * without echo on a terminal, or read from standard input otherwise
 * (`printf '%s' "$PASS" | stompede user add alice`).
 */
import type { Command } from 'commander';
import { readConfigFile } from '../config.js';
import { CliError } from './options.js';

/** Where users go when neither a flag, the environment nor a config file says. */
export const DEFAULT_USERS_FILE = './users.json';
const MAX_PASSCODE_LENGTH = 1024;

interface UserAddFlags {
  group: string[];
  usersFile?: string;
  config?: string;
  replace?: boolean;
}

export function registerUser(program: Command): void {
  const user = program
    .command('user')
    .description('manage the users who log in with a passcode (the users file)');
  user
    .command('add <name>')
    .description(
      'add a user: asks for the passcode (no echo) on a terminal, otherwise reads it from standard input',
    )
    .option(
      '--group <group>',
      'a group the user belongs to, for access rules (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option(
      '--users-file <file>',
      `users file to write (STOMPEDE_USERS_FILE; else auth.usersFile of --config; else ${DEFAULT_USERS_FILE})`,
    )
    .option('--config <file>', 'broker config whose auth.usersFile to use (STOMPEDE_CONFIG)')
    .option('--replace', "replace an existing user's passcode and groups")
    .action((name: string, flags: UserAddFlags) => addUserCommand(name, flags));
}

async function addUserCommand(name: string, flags: UserAddFlags): Promise<void> {
  // Loaded here so the other verbs start without the auth layer.
  const { addUser, AuthSetupError } = await import('../auth/index.js');
  const file = usersFileFor(flags);
  const passcode = process.stdin.isTTY ? await promptTwice() : await readStdinPasscode();
  try {
    const outcome = await addUser(file, name, passcode, {
      groups: flags.group,
      replace: flags.replace === true,
    });
    const groups = flags.group.length > 0 ? ` (groups: ${flags.group.join(', ')})` : '';
    process.stderr.write(`stompede user: ${outcome} ${name}${groups} in ${file}\n`);
  } catch (err) {
    if (err instanceof AuthSetupError) throw new CliError(err.message, 1);
    throw err;
  }
}

function usersFileFor(flags: UserAddFlags): string {
  if (flags.usersFile) return flags.usersFile;
  if (process.env.STOMPEDE_USERS_FILE) return process.env.STOMPEDE_USERS_FILE;
  const config = flags.config ?? process.env.STOMPEDE_CONFIG;
  if (config) {
    const fromFile = readConfigFile(config).auth?.usersFile;
    if (typeof fromFile === 'string' && fromFile !== '') return fromFile;
  }
  return DEFAULT_USERS_FILE;
}

async function promptTwice(): Promise<string> {
  const first = await promptHidden('Passcode: ');
  if (first === '') throw new CliError('the passcode is empty', 1);
  const second = await promptHidden('Passcode again: ');
  if (first !== second) throw new CliError('the two passcodes differ', 1);
  return first;
}

/** Read one line from the terminal with echo off (raw mode): Enter ends it, Ctrl+C cancels. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003' || (ch === '\u0004' && value === '')) {
          finish();
          reject(new CliError('cancelled', 130));
          return;
        }
        if (ch === '\u007f' || ch === '\b') {
          value = [...value].slice(0, -1).join('');
        } else if (ch >= ' ' && value.length < MAX_PASSCODE_LENGTH) {
          value += ch;
        }
      }
    };
    stdin.on('data', onData);
  });
}

/** The passcode from a pipe or file: everything, less one trailing line break. */
async function readStdinPasscode(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_PASSCODE_LENGTH + 2) {
      throw new CliError(
        `the passcode on standard input is longer than ${MAX_PASSCODE_LENGTH} bytes`,
        1,
      );
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (text === '') {
    throw new CliError(
      'no passcode on standard input (pipe one in, or run on a terminal to be asked)',
      1,
    );
  }
  if (/[\r\n]/.test(text)) throw new CliError('the passcode must be a single line', 1);
  return text;
}
