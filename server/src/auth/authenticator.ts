/**
 * CONNECT's `login` and `passcode` to a Principal: users-file passcodes
 * (scrypt), JWTs carried as the passcode, or anonymous when allowed.
 * Every refusal is the same AuthenticationFailed ("authentication failed"),
 * costs the same scrypt work whether or not the user exists, and is delayed
 * per remote address by the LoginThrottle.
 */
import { randomBytes } from 'node:crypto';
import { type CertificateIdentity, CertificateMapper } from './certificates.js';
import { AuthenticationFailed } from './errors.js';
import { JwtVerifier, looksLikeJwt } from './jwt.js';
import { DEFAULT_SCRYPT, type ParsedHash, verifyPasscode } from './passcode.js';
import type { ReloadingFile } from './reloading-file.js';
import { LoginThrottle } from './throttle.js';
import {
  ANONYMOUS,
  type AuthOptions,
  anonymousAllowed,
  jwtEnabled,
  type Principal,
} from './types.js';
import { openUserTable, type UserRecord } from './users.js';

export interface Credentials {
  login: string | undefined;
  passcode: string | undefined;
  /** Peer address, for throttling failures ('' when unknown). */
  remoteAddress: string;
  /** The client certificate the TLS layer verified (mutual TLS), if any. */
  certificate?: CertificateIdentity | null;
}

export interface AuthenticatorHooks {
  /** A login was refused (reason is for the log only), and its ERROR waits delayMs. */
  onFailure?(address: string, reason: string, delayMs: number): void;
  /** The users or JWKS file changed but could not be read; the previous contents stay in use. */
  onReloadError?(err: Error): void;
}

export class Authenticator {
  readonly allowAnonymous: boolean;
  readonly jwt: JwtVerifier | null;
  private readonly users: ReloadingFile<Map<string, UserRecord>> | null;
  private readonly throttle: LoginThrottle;
  private readonly hooks: AuthenticatorHooks;
  /** Maps verified client certificates to users; null when auth.clientCertificates is off. */
  private readonly certificates: CertificateMapper | null;
  /** Compared against when the user does not exist, so that costs the same scrypt work. */
  private readonly decoy: ParsedHash = {
    params: DEFAULT_SCRYPT,
    salt: randomBytes(16),
    hash: randomBytes(32),
  };

  constructor(options: AuthOptions, hooks: AuthenticatorHooks = {}) {
    this.hooks = hooks;
    this.allowAnonymous = anonymousAllowed(options);
    this.users = options.usersFile ? openUserTable(options.usersFile, hooks.onReloadError) : null;
    this.jwt = jwtEnabled(options) ? new JwtVerifier(options.jwt, hooks.onReloadError) : null;
    this.throttle = new LoginThrottle(options.throttle);
    this.certificates = options.clientCertificates.enabled
      ? new CertificateMapper(options.clientCertificates)
      : null;
  }

  /**
   * Check CONNECT's credentials. Anonymous acceptance is immediate; anything
   * else resolves once checked, or rejects with AuthenticationFailed after
   * the throttle's delay.
   */
  authenticate(credentials: Credentials): Principal | Promise<Principal> {
    const login = credentials.login ?? '';
    const passcode = credentials.passcode ?? '';
    const certificate = credentials.certificate;
    // A verified certificate is the credential when no passcode is given (login, if any, must agree).
    if (passcode === '' && this.certificates !== null && certificate != null) {
      return this.checkCertificate(login, certificate, credentials.remoteAddress);
    }
    if (login === '' && passcode === '') {
      if (this.allowAnonymous) return ANONYMOUS;
      return this.refuse(credentials.remoteAddress, 'no credentials and anonymous access is off');
    }
    if (this.jwt !== null && looksLikeJwt(passcode)) {
      return this.jwt
        .verify(passcode)
        .catch((err: unknown) => this.refuse(credentials.remoteAddress, err));
    }
    return this.checkPasscode(login, passcode, credentials.remoteAddress);
  }

  /**
   * In-band token refresh: a fresh JWT for the same user. Resolves to the
   * new principal (new expiry, groups and grants), or rejects like a failed login.
   */
  refresh(current: Principal, token: string, remoteAddress: string): Promise<Principal> {
    if (this.jwt === null || current.method !== 'jwt') {
      return this.refuse(
        remoteAddress,
        'token refresh on a connection that did not log in with a JWT',
      );
    }
    return this.jwt.verify(token.trim()).then(
      (fresh) =>
        fresh.name === current.name
          ? fresh
          : this.refuse(
              remoteAddress,
              `refresh token is for '${fresh.name}', not '${current.name}'`,
            ),
      (err: unknown) => this.refuse(remoteAddress, err),
    );
  }

  /** How long past a token's `exp` it is still honoured (the JWT clock tolerance), ms. */
  get expiryGraceMs(): number {
    return this.jwt?.graceMs ?? 0;
  }

  private async checkPasscode(
    login: string,
    passcode: string,
    address: string,
  ): Promise<Principal> {
    const user = this.users === null ? undefined : (await this.users.current()).get(login);
    // Unknown users cost the same scrypt work as known ones: the timing says nothing about who exists.
    const ok = await verifyPasscode(passcode, user?.passcode ?? this.decoy).catch(() => false);
    if (user === undefined || !ok) {
      const why =
        this.users === null
          ? 'passcode login, but no users file is configured'
          : user === undefined
            ? `unknown user '${login.slice(0, 80)}'`
            : `wrong passcode for '${login.slice(0, 80)}'`;
      return this.refuse(address, why);
    }
    return {
      name: user.name,
      groups: user.groups,
      anonymous: false,
      method: 'passcode',
      expiresAt: 0,
      grants: null,
    };
  }

  private async checkCertificate(
    login: string,
    certificate: CertificateIdentity,
    address: string,
  ): Promise<Principal> {
    const name = this.certificates!.userOf(certificate);
    const subject = CertificateMapper.describe(certificate);
    if (name === null) return this.refuse(address, `certificate ${subject} maps to no user`);
    const user = this.users === null ? undefined : (await this.users.current()).get(name);
    if (user === undefined) {
      return this.refuse(address, `certificate ${subject} names '${name}', not in the users file`);
    }
    if (login !== '' && login !== user.name) {
      return this.refuse(
        address,
        `certificate ${subject} is for '${user.name}', but CONNECT login is '${login.slice(0, 80)}'`,
      );
    }
    return {
      name: user.name,
      groups: user.groups,
      anonymous: false,
      method: 'certificate',
      expiresAt: 0,
      grants: null,
    };
  }

  private async refuse(address: string, cause: unknown): Promise<never> {
    const reason =
      cause instanceof AuthenticationFailed
        ? cause.reason
        : cause instanceof Error
          ? cause.message
          : String(cause);
    const delay = this.throttle.failure(address === '' ? 'unknown' : address);
    this.hooks.onFailure?.(address, reason, delay);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay).unref());
    throw new AuthenticationFailed(reason);
  }
}
