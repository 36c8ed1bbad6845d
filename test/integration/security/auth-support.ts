/**
 * Shared setup for the auth and authz suites: a users file in a temp dir,
 * HS256 tokens, and a one-call "expect ERROR then close".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JWTPayload, SignJWT } from 'jose';
import { onTestFinished } from 'vitest';
import { addUser } from '../../../server/src/auth/index.js';
import type { Frame } from '../../helpers/frames.js';
import type { RawStompClient } from '../../helpers/raw-client.js';

export const SECRET = 'integration-test-secret-of-at-least-32-bytes';
/** Cheap scrypt for test users (the format and checks are the production ones). */
const FAST = { N: 1024, r: 8, p: 1 };

/** A users file with these users (name → [passcode, groups]) in a temp dir removed after the test. */
export async function usersFile(users: Record<string, [string, string[]]>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'stompede-auth-it-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'users.json');
  for (const [name, [passcode, groups]] of Object.entries(users)) {
    await addUser(file, name, passcode, { groups, params: FAST });
  }
  return file;
}

/** An HS256 token for `sub`, expiring `expiresInS` seconds from now (or at `exp`). */
export function hsToken(
  sub: string,
  claims: JWTPayload & { expiresInS?: number } = {},
  secret = SECRET,
): Promise<string> {
  const { expiresInS = 3600, ...rest } = claims;
  return new SignJWT({ sub, ...rest })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(rest.exp ?? Math.floor(Date.now() / 1000) + expiresInS)
    .sign(new TextEncoder().encode(secret));
}

/** The ERROR that ends a connection, after which the broker closes it. */
export async function expectErrorAndClose(
  client: RawStompClient,
  timeoutMs = 8000,
): Promise<Frame> {
  const error = await client.waitForCommand('ERROR', timeoutMs);
  await client.expectClosed(timeoutMs);
  return error;
}

/** CONNECT that is expected to be refused: the ERROR frame, and the time it took. */
export async function refusedConnect(
  client: RawStompClient,
  headers: Record<string, string>,
): Promise<{ error: Frame; ms: number }> {
  const started = performance.now();
  client.send('CONNECT', { 'accept-version': '1.2', host: 'localhost', ...headers });
  const error = await expectErrorAndClose(client, 15_000);
  return { error, ms: performance.now() - started };
}
