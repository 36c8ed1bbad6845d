import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationFailed,
  type JwtOptions,
  JwtVerifier,
  looksLikeJwt,
} from '../../../server/src/auth/index.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const OTHER_SECRET = 'another-secret-that-is-at-least-32-bytes-long';

const BASE: JwtOptions = {
  secret: null,
  jwksFile: null,
  algorithms: [],
  audience: [],
  issuer: [],
  clockToleranceMs: 0,
  requireExpiry: true,
  usernameClaim: 'sub',
  groupsClaim: 'groups',
  permissionsClaim: '',
};

type Key = Parameters<SignJWT['sign']>[0];

let dir: string;
let jwksFile: string;
let rsa: { privateKey: Key; kid: string };
let ec: { privateKey: Key; kid: string };
let foreignRsa: Key;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stompede-jwks-'));
  jwksFile = join(dir, 'jwks.json');
  const rs = await generateKeyPair('RS256');
  const es = await generateKeyPair('ES256');
  foreignRsa = (await generateKeyPair('RS256')).privateKey;
  rsa = { privateKey: rs.privateKey, kid: 'rsa-1' };
  ec = { privateKey: es.privateKey, kid: 'ec-1' };
  const keys = [
    { ...(await exportJWK(rs.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(es.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  writeFileSync(jwksFile, JSON.stringify({ keys }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function token(
  key: Key,
  alg: string,
  claims: JWTPayload = {},
  opts: { kid?: string; exp?: number | string | null; nbf?: number | string } = {},
): Promise<string> {
  const jwt = new SignJWT({ sub: 'alice', groups: ['ops'], ...claims })
    .setProtectedHeader(opts.kid ? { alg, kid: opts.kid } : { alg })
    .setIssuedAt();
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? '1h');
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign(key);
}

const hs = (claims?: JWTPayload, opts?: Parameters<typeof token>[3]) =>
  token(new TextEncoder().encode(SECRET), 'HS256', claims, opts);

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AuthenticationFailed);
    expect((err as Error).message).toBe('authentication failed');
    return (err as AuthenticationFailed).reason;
  }
  throw new Error('expected the token to be refused');
}

describe('JwtVerifier', () => {
  it('accepts HS256 with the shared secret and maps sub, groups and exp', async () => {
    const v = new JwtVerifier({ ...BASE, secret: SECRET });
    const exp = Math.floor(Date.now() / 1000) + 600;
    const p = await v.verify(await hs({}, { exp }));
    expect(p).toMatchObject({ name: 'alice', groups: ['ops'], method: 'jwt', anonymous: false });
    expect(p.expiresAt).toBe(exp * 1000);
  });

  it('accepts RS256 and ES256 against the local JWKS file', async () => {
    const v = new JwtVerifier({ ...BASE, jwksFile });
    expect((await v.verify(await token(rsa.privateKey, 'RS256', {}, { kid: rsa.kid }))).name).toBe(
      'alice',
    );
    expect(
      (await v.verify(await token(ec.privateKey, 'ES256', { sub: 'bob' }, { kid: ec.kid }))).name,
    ).toBe('bob');
    // Without a kid the set is searched by algorithm.
    expect((await v.verify(await token(ec.privateKey, 'ES256'))).name).toBe('alice');
  });

  it('refuses an expired token', async () => {
    const v = new JwtVerifier({ ...BASE, secret: SECRET });
    const past = Math.floor(Date.now() / 1000) - 60;
    expect(await reason(v.verify(await hs({}, { exp: past })))).toMatch(/exp/);
  });

  it('honours the clock tolerance for exp', async () => {
    const v = new JwtVerifier({ ...BASE, secret: SECRET, clockToleranceMs: 120_000 });
    const past = Math.floor(Date.now() / 1000) - 60;
    expect((await v.verify(await hs({}, { exp: past }))).name).toBe('alice');
    expect(v.graceMs).toBe(120_000);
  });

  it('refuses a token that is not valid yet', async () => {
    const v = new JwtVerifier({ ...BASE, secret: SECRET });
    const future = Math.floor(Date.now() / 1000) + 600;
    expect(await reason(v.verify(await hs({}, { nbf: future })))).toMatch(/nbf/);
  });

  it('checks audience and issuer when configured', async () => {
    const v = new JwtVerifier({
      ...BASE,
      secret: SECRET,
      audience: ['stompede'],
      issuer: ['https://id.example'],
    });
    const good = { aud: 'stompede', iss: 'https://id.example' };
    expect((await v.verify(await hs(good))).name).toBe('alice');
    expect(await reason(v.verify(await hs({ ...good, aud: 'other-app' })))).toMatch(/aud/);
    expect(await reason(v.verify(await hs({ ...good, iss: 'https://evil.example' })))).toMatch(
      /iss/,
    );
    expect(await reason(v.verify(await hs({ iss: 'https://id.example' })))).toMatch(/aud/);
  });

  it('refuses foreign-signed tokens', async () => {
    const hsOnly = new JwtVerifier({ ...BASE, secret: SECRET });
    const foreignHs = await token(new TextEncoder().encode(OTHER_SECRET), 'HS256');
    expect(await reason(hsOnly.verify(foreignHs))).toMatch(/signature/i);
    const jwks = new JwtVerifier({ ...BASE, jwksFile });
    // Signed by a key not in the set, claiming a kid that is.
    const forged = await token(foreignRsa, 'RS256', {}, { kid: rsa.kid });
    expect(await reason(jwks.verify(forged))).toMatch(/signature/i);
    expect(
      await reason(jwks.verify(await token(foreignRsa, 'RS256', {}, { kid: 'nope' }))),
    ).toMatch(/key/i);
  });

  it('refuses algorithm confusion: HS256 against a JWKS-only verifier, alg none, unlisted algs', async () => {
    const jwks = new JwtVerifier({ ...BASE, jwksFile });
    expect(await reason(jwks.verify(await hs()))).toMatch(/alg/i);
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(
      JSON.stringify({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 60 }),
    ).toString('base64url');
    expect(await reason(jwks.verify(`${header}.${body}.`))).toMatch(/alg/i);
    const rsOnly = new JwtVerifier({ ...BASE, jwksFile, algorithms: ['RS256'] });
    expect(await reason(rsOnly.verify(await token(ec.privateKey, 'ES256')))).toMatch(/alg/i);
  });

  it('requires exp unless told otherwise', async () => {
    const strict = new JwtVerifier({ ...BASE, secret: SECRET });
    expect(await reason(strict.verify(await hs({}, { exp: null })))).toMatch(/exp/);
    const lax = new JwtVerifier({ ...BASE, secret: SECRET, requireExpiry: false });
    expect((await lax.verify(await hs({}, { exp: null }))).expiresAt).toBe(0);
  });

  it('maps configurable claims: user name, groups (list, string, nested path), permissions', async () => {
    const v = new JwtVerifier({
      ...BASE,
      secret: SECRET,
      usernameClaim: 'preferred_username',
      groupsClaim: 'realm_access.roles',
      permissionsClaim: 'https://stompede.dev/permissions',
    });
    const p = await v.verify(
      await hs({
        preferred_username: 'carol',
        realm_access: { roles: ['web', 'chat'] },
        'https://stompede.dev/permissions': { read: ['/topic/chat.>'], write: ['/topic/chat.a'] },
      }),
    );
    expect(p.name).toBe('carol');
    expect(p.groups).toEqual(['web', 'chat']);
    expect(p.grants).toEqual({ read: ['/topic/chat.>'], write: ['/topic/chat.a'], admin: [] });
    const spaced = new JwtVerifier({ ...BASE, secret: SECRET, groupsClaim: 'scope' });
    expect((await spaced.verify(await hs({ scope: 'a b,c' }))).groups).toEqual(['a', 'b', 'c']);
  });

  it('refuses tokens without a user name or with malformed claims', async () => {
    const v = new JwtVerifier({ ...BASE, secret: SECRET, permissionsClaim: 'perms' });
    expect(await reason(v.verify(await hs({ sub: '' })))).toMatch(/sub/);
    expect(await reason(v.verify(await hs({ groups: [1, 2] })))).toMatch(/groups/);
    expect(await reason(v.verify(await hs({ perms: { read: 'x' } })))).toMatch(/permissions/);
  });

  it('refuses a short secret and a JWKS with private keys', async () => {
    expect(() => new JwtVerifier({ ...BASE, secret: 'short' })).toThrow(/at least 32 bytes/);
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const leaky = join(dir, 'leaky.json');
    writeFileSync(leaky, JSON.stringify({ keys: [await exportJWK(privateKey)] }));
    expect(() => new JwtVerifier({ ...BASE, jwksFile: leaky })).toThrow(/private key/);
    expect(() => new JwtVerifier({ ...BASE, jwksFile: join(dir, 'missing.json') })).toThrow(
      /cannot read JWKS file/,
    );
  });

  it('recognises JWT-shaped passcodes only', async () => {
    expect(looksLikeJwt(await hs())).toBe(true);
    expect(looksLikeJwt('hunter2')).toBe(false);
    expect(looksLikeJwt('a.b.c')).toBe(false);
  });
});
