/**
 * JWT logins for browsers: the token travels as the CONNECT passcode (and in
 * `SEND /system/token` refreshes). Verified with `jose`: HS256 with a shared
 * secret, RS256/ES256 (and the other asymmetric algorithms, when listed)
 * with the public keys of a local JWKS file; `exp`, `nbf`, `aud` and `iss`
 * checked with a clock tolerance. Claims map to the user name, groups and,
 * optionally, permissions granted by the token itself.
 */
import type {
  JSONWebKeySet,
  JWSHeaderParameters,
  JWTPayload,
  JWTVerifyOptions,
  LocalJWKSet,
} from 'jose';
import { AuthenticationFailed, AuthSetupError } from './errors.js';
import { ReloadingFile } from './reloading-file.js';
import type { Grants, JwtOptions, Principal } from './types.js';

export { ASYMMETRIC_ALGORITHMS, JWT_ALGORITHMS, SYMMETRIC_ALGORITHMS } from './types.js';

/** Below this an HS256 secret can be brute-forced from one token (RFC 7518 §3.2: key ≥ hash size). */
export const MIN_SECRET_BYTES = 32;

/** Three base64url parts, the first a JSON header: cheap to test before trying a verify. */
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

type Jose = typeof import('jose');
let jose: Promise<Jose> | undefined;
/** jose is ~50 modules: loaded by the first token, so brokers without JWT logins never pay for it (issue 9). */
function loadJose(): Promise<Jose> {
  jose ??= import('jose');
  return jose;
}

/** A JWKS file as read (checked at read time); jose's key set is built from it on first use. */
interface JwksFile {
  json: JSONWebKeySet;
  set: LocalJWKSet | null;
}

export function looksLikeJwt(text: string): boolean {
  return text.length < 16_384 && JWT_SHAPE.test(text);
}

export class JwtVerifier {
  private readonly secret: Uint8Array | null;
  private readonly jwks: ReloadingFile<JwksFile> | null;
  private readonly verifyOptions: JWTVerifyOptions;
  readonly options: JwtOptions;

  constructor(options: JwtOptions, onReloadError?: (err: Error) => void) {
    this.options = options;
    this.secret = options.secret ? new TextEncoder().encode(options.secret) : null;
    if (this.secret !== null && this.secret.length < MIN_SECRET_BYTES) {
      throw new AuthSetupError(
        `auth.jwt.secret is too short: use at least ${MIN_SECRET_BYTES} bytes (e.g. openssl rand -base64 48)`,
      );
    }
    const jwksFile = options.jwksFile;
    this.jwks = jwksFile
      ? new ReloadingFile(
          jwksFile,
          parseJwks,
          onReloadError,
          (err) => new AuthSetupError(`cannot read JWKS file ${jwksFile}: ${err.message}`),
        )
      : null;
    const algorithms =
      options.algorithms.length > 0 ? options.algorithms : this.defaultAlgorithms();
    this.verifyOptions = {
      algorithms,
      clockTolerance: options.clockToleranceMs / 1000,
      requiredClaims: options.requireExpiry ? ['exp'] : [],
    };
    if (options.audience.length > 0) this.verifyOptions.audience = options.audience;
    if (options.issuer.length > 0) this.verifyOptions.issuer = options.issuer;
  }

  private defaultAlgorithms(): string[] {
    const out: string[] = [];
    if (this.secret !== null) out.push('HS256');
    if (this.jwks !== null) out.push('RS256', 'ES256');
    return out;
  }

  /** How long past `exp` a token is still honoured (the clock tolerance), ms. */
  get graceMs(): number {
    return this.options.clockToleranceMs;
  }

  /** Verify a token and map its claims; rejects with AuthenticationFailed saying why (for the log). */
  async verify(token: string): Promise<Principal> {
    const { createLocalJWKSet, jwtVerify } = await loadJose();
    const file = this.jwks === null ? null : await this.jwks.current();
    if (file !== null) file.set ??= createLocalJWKSet(file.json);
    const jwks = file?.set ?? null;
    const secret = this.secret;
    const key = async (header: JWSHeaderParameters, input: Parameters<LocalJWKSet>[1]) => {
      const alg = header.alg ?? '';
      if (alg.startsWith('HS')) {
        if (secret === null) throw new AuthenticationFailed(`no secret configured for ${alg}`);
        return secret;
      }
      if (jwks === null) throw new AuthenticationFailed(`no JWKS configured for ${alg}`);
      return jwks(header, input);
    };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, this.verifyOptions));
    } catch (err) {
      if (err instanceof AuthenticationFailed) throw err;
      const code = (err as { code?: unknown }).code;
      throw new AuthenticationFailed(
        `token rejected: ${typeof code === 'string' ? `${code} ` : ''}${(err as Error).message}`,
      );
    }
    return this.principalOf(payload);
  }

  private principalOf(payload: JWTPayload): Principal {
    const { usernameClaim, groupsClaim, permissionsClaim } = this.options;
    const name = claim(payload, usernameClaim);
    if (typeof name !== 'string' || name === '') {
      throw new AuthenticationFailed(`token has no '${usernameClaim}' claim naming the user`);
    }
    return {
      name,
      groups: groupsOf(claim(payload, groupsClaim)),
      anonymous: false,
      method: 'jwt',
      expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : 0,
      grants: permissionsClaim === '' ? null : grantsOf(claim(payload, permissionsClaim)),
    };
  }
}

function parseJwks(text: string, path: string): JwksFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new AuthSetupError(`JWKS file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new AuthSetupError(`JWKS file ${path} must hold { "keys": [ … ] } with at least one key`);
  }
  for (const key of keys) {
    if (
      typeof key !== 'object' ||
      key === null ||
      typeof (key as { kty?: unknown }).kty !== 'string'
    ) {
      throw new AuthSetupError(`JWKS file ${path}: every key needs a "kty"`);
    }
    if ('d' in key) {
      throw new AuthSetupError(
        `JWKS file ${path} holds a private key: publish only the public half of each key pair`,
      );
    }
  }
  // Every check jose's createLocalJWKSet makes on the set's shape is made above, so building it later cannot fail.
  return { json: parsed as JSONWebKeySet, set: null };
}

/**
 * A claim by name; a name with dots that is not itself a claim is a path
 * into nested objects (`realm_access.roles`), while namespaced claims such as
 * `https://example.com/groups` are found as they are.
 */
function claim(payload: JWTPayload, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  if (!name.includes('.')) return undefined;
  let value: unknown = payload;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part))
      return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function groupsOf(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((g) => g !== '');
  if (Array.isArray(value) && value.every((g) => typeof g === 'string')) {
    return value.filter((g) => g !== '');
  }
  throw new AuthenticationFailed('token groups claim is neither a list of names nor a string');
}

/** `{ "read": ["/topic/chat.>"], "write": […], "admin": […] }`, each a list of destination patterns. */
function grantsOf(value: unknown): Grants | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AuthenticationFailed('token permissions claim is not an object');
  }
  const record = value as Record<string, unknown>;
  const list = (key: 'read' | 'write' | 'admin'): string[] => {
    const patterns = record[key] ?? [];
    if (
      !Array.isArray(patterns) ||
      patterns.some((p) => typeof p !== 'string' || !(p.startsWith('/') || p === '>'))
    ) {
      throw new AuthenticationFailed(
        `token permissions claim: "${key}" must be a list of destination patterns`,
      );
    }
    return patterns as string[];
  };
  return { read: list('read'), write: list('write'), admin: list('admin') };
}
