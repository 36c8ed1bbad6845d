/**
 * Passcode hashing with scrypt (node:crypto): a random salt per user, and the
 * cost parameters stored with the hash so they can be raised later without
 * invalidating existing entries. Format:
 *
 *     scrypt$N=32768,r=8,p=1$<salt, base64>$<hash, base64>
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/** About 90 ms and 32 MiB per hash on a current core: a login costs that once per connection. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Bounds for parameters read from a users file, so a doctored entry cannot exhaust memory or CPU. */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

export interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

/** Hash a passcode with a fresh random salt. */
export async function hashPasscode(
  passcode: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<string> {
  checkParams(params);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(passcode, salt, KEY_BYTES, params);
  return formatHash({ params, salt, hash });
}

export function formatHash({ params, salt, hash }: ParsedHash): string {
  return `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Parse a stored hash; throws a plain Error saying what is wrong. */
export function parseHash(stored: string): ParsedHash {
  const parts = stored.split('$');
  if (parts.length !== 4 || parts[0] !== 'scrypt') {
    throw new Error('not a scrypt hash (expected scrypt$N=…,r=…,p=…$salt$hash)');
  }
  const match = /^N=(\d{1,8}),r=(\d{1,3}),p=(\d{1,3})$/.exec(parts[1]!);
  if (match === null) throw new Error('scrypt parameters must read N=…,r=…,p=…');
  const params = { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  checkParams(params);
  const salt = Buffer.from(parts[2]!, 'base64');
  const hash = Buffer.from(parts[3]!, 'base64');
  if (salt.length < 8) throw new Error('scrypt salt is too short');
  if (hash.length < 16 || hash.length > 128) throw new Error('scrypt hash has an unusable length');
  return { params, salt, hash };
}

/** Whether `passcode` hashes to `stored`. Compares in constant time. */
export async function verifyPasscode(passcode: string, stored: ParsedHash): Promise<boolean> {
  const candidate = await derive(passcode, stored.salt, stored.hash.length, stored.params);
  return timingSafeEqual(candidate, stored.hash);
}

function checkParams({ N, r, p }: ScryptParams): void {
  if (!Number.isInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0) {
    throw new Error(`scrypt N must be a power of two from 2 to ${MAX_N}`);
  }
  if (!Number.isInteger(r) || r < 1 || r > MAX_R) throw new Error(`scrypt r must be 1-${MAX_R}`);
  if (!Number.isInteger(p) || p < 1 || p > MAX_P) throw new Error(`scrypt p must be 1-${MAX_P}`);
}

/** scrypt on the libuv thread pool: the event loop keeps serving other connections meanwhile. */
function derive(
  passcode: string,
  salt: Buffer,
  length: number,
  { N, r, p }: ScryptParams,
): Promise<Buffer> {
  // Node refuses when 128·N·r exceeds maxmem; leave room for that and nothing more.
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(passcode.normalize('NFC'), salt, length, options, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}
