/**
 * The auth layer's vocabulary. `auth/` imports nothing else of Stompede's:
 * these option shapes mirror `auth` in the broker config, which the server
 * hands in as it is.
 */

export type Permission = 'read' | 'write' | 'admin';

/** JWT algorithms by key kind (here, free of jose, so the config can validate names without loading it). */
export const SYMMETRIC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export const JWT_ALGORITHMS: readonly string[] = [
  ...SYMMETRIC_ALGORITHMS,
  ...ASYMMETRIC_ALGORITHMS,
];
export const PERMISSIONS: readonly Permission[] = ['read', 'write', 'admin'];

/** Permission bits, so a session can cache a destination's permissions in one number. */
export const READ = 1;
export const WRITE = 2;
export const ADMIN = 4;
export const ALL_PERMISSIONS = READ | WRITE | ADMIN;

export function permissionBit(permission: Permission): number {
  return permission === 'read' ? READ : permission === 'write' ? WRITE : ADMIN;
}

/** Destination patterns a token grants by itself, per permission (the JWT permissions claim). */
export interface Grants {
  read: readonly string[];
  write: readonly string[];
  admin: readonly string[];
}

/** Who a connection is, once CONNECT has been accepted. */
export interface Principal {
  /** The user name (users file), or the token's subject claim; '' for anonymous connections. */
  readonly name: string;
  readonly groups: readonly string[];
  readonly anonymous: boolean;
  readonly method: 'anonymous' | 'passcode' | 'jwt' | 'certificate';
  /** When the credential stops being valid, ms since the epoch (a JWT's `exp`); 0 = never. */
  readonly expiresAt: number;
  /** Extra permissions the token itself grants; null when none. */
  readonly grants: Grants | null;
}

/** The group every anonymous connection belongs to, so rules can name it. */
export const ANONYMOUS_GROUP = 'anonymous';

export const ANONYMOUS: Principal = Object.freeze({
  name: '',
  groups: Object.freeze([ANONYMOUS_GROUP]),
  anonymous: true,
  method: 'anonymous',
  expiresAt: 0,
  grants: null,
});

/**
 * One authorization entry, ActiveMQ style: who may read, write and
 * administer the destinations `match` selects. Names are group names;
 * `@name` is a user; `*` is everyone, anonymous connections included.
 */
export interface AccessRule {
  /** Destination pattern, e.g. `/queue/orders.>` (subscription wildcards); `>` alone is every destination. */
  match: string;
  /** Who may SUBSCRIBE and browse: group names, `@user` names, `*` for everyone. */
  read?: string[];
  /** Who may SEND. */
  write?: string[];
  /** Who may declare destinations (queue arguments, exchange types) and use the admin API on them. */
  admin?: string[];
}

export interface JwtOptions {
  /** Shared secret for HS256 (at least 32 bytes); null = none. */
  secret: string | null;
  /** Local JWKS file with the public keys for RS256/ES256; null = none. */
  jwksFile: string | null;
  /** Accepted `alg` values; [] = HS256 with a secret, RS256 and ES256 with a JWKS. */
  algorithms: string[];
  /** Accepted `aud` values (any one must appear); [] = not checked. */
  audience: string[];
  /** Accepted `iss` values; [] = not checked. */
  issuer: string[];
  /** Leeway for `exp` and `nbf`, ms. */
  clockToleranceMs: number;
  /** Refuse tokens without `exp`. */
  requireExpiry: boolean;
  /** Claim that names the user. */
  usernameClaim: string;
  /** Claim with the user's groups: a list, or a string separated by spaces or commas. */
  groupsClaim: string;
  /** Claim with permissions granted by the token itself ({ read, write, admin } pattern lists); '' = off. */
  permissionsClaim: string;
}

export interface ThrottleOptions {
  /** Delay of the ERROR after the second failed login from one address, ms; doubling after each further one. */
  baseMs: number;
  /** Longest delay, ms. */
  maxMs: number;
  /** Failures are forgotten gradually: their count halves every halfLifeMs. */
  halfLifeMs: number;
  /** Most addresses remembered (the least recently failing are forgotten first). */
  maxAddresses: number;
}

/**
 * Client-certificate logins (mutual TLS, ActiveMQ's certificate login): a
 * connection whose TLS client certificate was verified against tls.caFile,
 * and whose CONNECT carries no passcode, logs in as the user the
 * certificate names. Needs tls.requestClientCert and a users file (the
 * user must be in it; its groups apply).
 */
export interface ClientCertificateOptions {
  /** Log verified client certificates in as users. */
  enabled: boolean;
  /** `cn`: the subject's common name is the user name. `dn`: the whole subject DN is looked up in dnUsers. */
  userFrom: 'cn' | 'dn';
  /**
   * For userFrom `dn`: subject DN → user name, e.g. `{ "CN=alice,O=Acme": "alice" }`. The DN may be
   * written RFC 4514 style (`CN=alice,O=Acme`) or OpenSSL style (`/O=Acme/CN=alice`); attribute order
   * and case of attribute types do not matter.
   */
  dnUsers: Record<string, string>;
}

export interface AuthOptions {
  /** Users file (JSON, or YAML when named `.yaml`/`.yml`; written by `stompede user add`); null = none. */
  usersFile: string | null;
  /** true / false, or null: anonymous allowed exactly when no users file and no JWT are configured. */
  allowAnonymous: boolean | null;
  /** Access rules (ActiveMQ authorizationEntries style); every matching rule adds its grants. */
  rules: AccessRule[];
  /** Permissions on destinations no rule matches (`read`, `write`, `admin`); [] = deny. */
  defaultPermissions: Permission[];
  /** JWT logins (browsers): the token is CONNECT's passcode. Off unless secret or jwksFile is set. */
  jwt: JwtOptions;
  /** Slowing down repeated failed logins from one address. */
  throttle: ThrottleOptions;
  /** Logins by verified TLS client certificate (mutual TLS). */
  clientCertificates: ClientCertificateOptions;
}

/** Whether a JWT verifier is configured. */
export function jwtEnabled(options: Pick<AuthOptions, 'jwt'>): boolean {
  return Boolean(options.jwt.secret) || Boolean(options.jwt.jwksFile);
}

/** Whether logins are checked at all (a users file or JWT configured). */
export function authenticationEnabled(options: Pick<AuthOptions, 'jwt' | 'usersFile'>): boolean {
  return Boolean(options.usersFile) || jwtEnabled(options);
}

/** Whether connections without credentials are let in. */
export function anonymousAllowed(
  options: Pick<AuthOptions, 'jwt' | 'usersFile' | 'allowAnonymous'>,
): boolean {
  return options.allowAnonymous ?? !authenticationEnabled(options);
}
