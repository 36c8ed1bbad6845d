/**
 * The users file: one entry per user, its scrypt passcode hash and its
 * groups; JSON, or YAML when the file name ends in `.yaml` or `.yml`.
 *
 * ```json
 * { "users": { "alice": { "passcode": "scrypt$N=32768,r=8,p=1$…$…", "groups": ["ops"] } } }
 * ```
 *
 * Written by `stompede user add` (atomically: a temporary file, fsync, rename)
 * and re-read by the broker when it changes, so new users need no restart.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type * as Yaml from 'yaml';
import { AuthSetupError } from './errors.js';
import {
  DEFAULT_SCRYPT,
  hashPasscode,
  type ParsedHash,
  parseHash,
  type ScryptParams,
} from './passcode.js';
import { ReloadingFile } from './reloading-file.js';

export interface UserRecord {
  readonly name: string;
  readonly passcode: ParsedHash;
  readonly groups: readonly string[];
}

/** What the file holds, as JSON. */
interface UsersFileJson {
  users: Record<string, { passcode: string; groups?: string[] }>;
}

let yamlModule: typeof Yaml | undefined;
/** yaml is ~70 modules: loaded for the first YAML users file, not on every start-up (issue 9). */
function yamlLib(): typeof Yaml {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yamlModule;
}

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,127}$/;

export function isValidUserName(name: string): boolean {
  return USER_NAME.test(name);
}

export function isValidGroupName(name: string): boolean {
  return GROUP_NAME.test(name);
}

/** Parse the users file's text; errors name the file and the entry. */
export function parseUsers(text: string, path: string): Map<string, UserRecord> {
  let parsed: unknown;
  const yaml = isYamlFile(path);
  try {
    parsed = yaml ? yamlLib().parse(text) : JSON.parse(text);
  } catch (err) {
    const why = (err as Error).message.split('\n')[0];
    throw new AuthSetupError(`users file ${path} is not valid ${yaml ? 'YAML' : 'JSON'}: ${why}`);
  }
  if (!isObject(parsed) || !isObject(parsed.users)) {
    throw new AuthSetupError(`users file ${path} must hold { "users": { "NAME": { … } } }`);
  }
  const users = new Map<string, UserRecord>();
  for (const [name, entry] of Object.entries(parsed.users)) {
    const where = `users file ${path}, user '${name.slice(0, 80)}'`;
    if (!isValidUserName(name)) {
      throw new AuthSetupError(
        `${where}: a user name is 1-128 letters, digits and . _ @ + - (not starting with a symbol)`,
      );
    }
    if (!isObject(entry) || typeof entry.passcode !== 'string') {
      throw new AuthSetupError(`${where}: needs a "passcode" hash (see stompede user add)`);
    }
    let passcode: ParsedHash;
    try {
      passcode = parseHash(entry.passcode);
    } catch (err) {
      throw new AuthSetupError(`${where}: ${(err as Error).message}`);
    }
    const groups = entry.groups ?? [];
    if (
      !Array.isArray(groups) ||
      groups.some((g) => typeof g !== 'string' || !isValidGroupName(g))
    ) {
      throw new AuthSetupError(
        `${where}: "groups" must be a list of names (letters, digits and . _ : / + -)`,
      );
    }
    users.set(name, { name, passcode, groups: [...groups] });
  }
  return users;
}

/** The users of a users file, re-read when it changes (see ReloadingFile). */
export function openUserTable(
  path: string,
  onReloadError?: (err: Error) => void,
): ReloadingFile<Map<string, UserRecord>> {
  return new ReloadingFile(
    path,
    parseUsers,
    onReloadError,
    (err) =>
      new AuthSetupError(
        `cannot read users file ${path}: ${err.message}. Create it with 'stompede user add NAME --users-file ${path}'.`,
      ),
  );
}

export interface AddUserOptions {
  groups?: readonly string[];
  /** Replace an existing user's passcode and groups instead of refusing. */
  replace?: boolean;
  params?: ScryptParams;
}

/**
 * Add (or with `replace`, update) a user in the users file, creating the
 * file if needed. The new file replaces the old one atomically, mode 0600.
 * Returns whether the user was added or replaced.
 */
export async function addUser(
  path: string,
  name: string,
  passcode: string,
  options: AddUserOptions = {},
): Promise<'added' | 'replaced'> {
  if (!isValidUserName(name)) {
    throw new AuthSetupError(
      `invalid user name '${name.slice(0, 80)}': use 1-128 letters, digits and . _ @ + - (not starting with a symbol)`,
    );
  }
  const groups = [...new Set(options.groups ?? [])];
  for (const group of groups) {
    if (!isValidGroupName(group)) {
      throw new AuthSetupError(
        `invalid group name '${group.slice(0, 80)}': use letters, digits and . _ : / + -`,
      );
    }
  }
  if (passcode === '') throw new AuthSetupError('the passcode is empty');
  let data: UsersFileJson = { users: {} };
  let existing: string | null = null;
  try {
    existing = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new AuthSetupError(`cannot read users file ${path}: ${(err as Error).message}`);
    }
  }
  if (existing !== null) {
    parseUsers(existing, path); // refuse to rewrite a file we could not read back
    data = (isYamlFile(path) ? yamlLib().parse(existing) : JSON.parse(existing)) as UsersFileJson;
  }
  const had = Object.hasOwn(data.users, name);
  if (had && options.replace !== true) {
    throw new AuthSetupError(
      `user '${name}' already exists in ${path} (pass --replace to change the passcode and groups)`,
    );
  }
  data.users[name] = {
    passcode: await hashPasscode(passcode, options.params ?? DEFAULT_SCRYPT),
    groups,
  };
  const text = isYamlFile(path) ? yamlLib().stringify(data) : `${JSON.stringify(data, null, 2)}\n`;
  await writeAtomically(path, text);
  return had ? 'replaced' : 'added';
}

/** Write to a temporary file beside `path`, flush it to disk, then rename it over `path`. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  const file = await open(temp, 'wx', 0o600);
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  // Make the rename itself durable; not every platform can open a directory.
  try {
    const handle = await open(dir, 'r');
    await handle.sync().finally(() => handle.close());
  } catch {
    // best effort
  }
}

/** `.yaml` / `.yml` files are YAML; anything else is JSON. */
export function isYamlFile(path: string): boolean {
  return /\.ya?ml$/i.test(path);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
