import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANONYMOUS,
  Authenticator,
  type AuthOptions,
  addUser,
  createAuth,
} from '../../../server/src/auth/index.js';
import { DEFAULT_CONFIG } from '../../../server/src/config.js';
import { coversDestination } from '../../../server/src/session/handlers/access.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const BASE: AuthOptions = {
  ...DEFAULT_CONFIG.auth,
  throttle: { ...DEFAULT_CONFIG.auth.throttle, baseMs: 0 },
};
let dir: string;
let usersFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stompede-authn-'));
  usersFile = join(dir, 'users.json');
  // Default scrypt parameters: the decoy for unknown users costs the same.
  await addUser(usersFile, 'alice', 'wonderland', { groups: ['ops'] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const from = (login?: string, passcode?: string) => ({
  login,
  passcode,
  remoteAddress: '10.1.1.1',
});

async function failure(result: unknown): Promise<Error> {
  try {
    await result;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a refusal');
}

describe('Authenticator', () => {
  it('accepts a right passcode with the user and groups', async () => {
    const a = new Authenticator({ ...BASE, usersFile });
    expect(await a.authenticate(from('alice', 'wonderland'))).toMatchObject({
      name: 'alice',
      groups: ['ops'],
      method: 'passcode',
      anonymous: false,
      expiresAt: 0,
    });
  });

  it('refuses a wrong passcode and an unknown user with the same error', async () => {
    const a = new Authenticator({ ...BASE, usersFile });
    const wrong = await failure(a.authenticate(from('alice', 'nope')));
    const unknown = await failure(a.authenticate(from('mallory', 'wonderland')));
    expect(wrong.message).toBe('authentication failed');
    expect(unknown.message).toBe(wrong.message);
    expect((unknown as { detail?: string }).detail).toBe((wrong as { detail?: string }).detail);
  });

  it('does the scrypt work for unknown users too', async () => {
    const a = new Authenticator({ ...BASE, usersFile });
    const t0 = performance.now();
    await failure(a.authenticate(from('alice', 'nope')));
    const known = performance.now() - t0;
    const t1 = performance.now();
    await failure(a.authenticate(from('nobody-at-all', 'nope')));
    const unknown = performance.now() - t1;
    // A map miss alone takes microseconds; scrypt at N=2^15 takes tens of milliseconds.
    expect(unknown).toBeGreaterThan(Math.min(20, known / 3));
  });

  it('lets anonymous in only when allowed', async () => {
    const open = new Authenticator({ ...BASE, usersFile, allowAnonymous: true });
    expect(open.authenticate(from())).toBe(ANONYMOUS);
    const closed = new Authenticator({ ...BASE, usersFile });
    expect(closed.allowAnonymous).toBe(false);
    expect((await failure(closed.authenticate(from()))).message).toBe('authentication failed');
  });

  it('takes a JWT as the passcode whatever the login, and refreshes it for the same user only', async () => {
    const a = new Authenticator({ ...BASE, usersFile, jwt: { ...BASE.jwt, secret: SECRET } });
    const sign = (sub: string) =>
      new SignJWT({ sub, groups: ['web'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(SECRET));
    const principal = await a.authenticate(from('jwt', await sign('carol')));
    expect(principal).toMatchObject({ name: 'carol', groups: ['web'], method: 'jwt' });
    expect((await a.refresh(principal, await sign('carol'), '10.1.1.1')).name).toBe('carol');
    expect((await failure(a.refresh(principal, await sign('dave'), '10.1.1.1'))).message).toBe(
      'authentication failed',
    );
    const passcodeUser = await a.authenticate(from('alice', 'wonderland'));
    expect((await failure(a.refresh(passcodeUser, await sign('alice'), '10.1.1.1'))).message).toBe(
      'authentication failed',
    );
  });

  it('delays repeated failures from one address', async () => {
    const a = new Authenticator({
      ...BASE,
      usersFile,
      throttle: { ...BASE.throttle, baseMs: 300 },
    });
    const timed = async () => {
      const t = performance.now();
      await failure(a.authenticate(from('alice', 'nope')));
      return performance.now() - t;
    };
    const first = await timed();
    const second = await timed();
    const third = await timed();
    expect(second - first).toBeGreaterThan(200);
    expect(third - first).toBeGreaterThan(450);
  });
});

describe('createAuth', () => {
  it('builds nothing for the default config: everyone anonymous, everything allowed', () => {
    const setup = createAuth(DEFAULT_CONFIG.auth, coversDestination);
    expect(setup.authenticator).toBeNull();
    expect(setup.authorizer).toBeNull();
  });

  it('builds an authorizer for rules alone, and both with logins', () => {
    const rules = createAuth(
      { ...DEFAULT_CONFIG.auth, rules: [{ match: '/topic/a', read: ['*'] }] },
      coversDestination,
    );
    expect(rules.authenticator).toBeNull();
    expect(rules.authorizer).not.toBeNull();
    const both = createAuth({ ...DEFAULT_CONFIG.auth, usersFile }, coversDestination);
    expect(both.authenticator).not.toBeNull();
    expect(both.authorizer).not.toBeNull();
  });

  it('fails at once on a missing users file', () => {
    expect(() =>
      createAuth({ ...DEFAULT_CONFIG.auth, usersFile: join(dir, 'nope.json') }, coversDestination),
    ).toThrow(/cannot read users file .*stompede user add/);
  });
});
