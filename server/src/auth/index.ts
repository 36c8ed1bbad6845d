/**
 * Authentication and authorization: users (scrypt-hashed passcodes), JWTs
 * for browsers, and per-destination access rules. Imports nothing else of
 * Stompede's; the session layer uses it through SessionContext.
 */
import { Authenticator, type AuthenticatorHooks } from './authenticator.js';
import { Authorizer, type DestinationMatcher } from './authorizer.js';
import { type AuthOptions, authenticationEnabled } from './types.js';

export { Authenticator, type AuthenticatorHooks, type Credentials } from './authenticator.js';
export { Authorizer, type DestinationMatcher } from './authorizer.js';
export {
  type CertificateIdentity,
  CertificateMapper,
  isDistinguishedName,
  normaliseDn,
} from './certificates.js';
export { AccessDenied, AuthenticationFailed, AuthSetupError } from './errors.js';
export { JWT_ALGORITHMS, JwtVerifier, looksLikeJwt, MIN_SECRET_BYTES } from './jwt.js';
export { isLoopbackHost } from './loopback.js';
export {
  DEFAULT_SCRYPT,
  formatHash,
  hashPasscode,
  parseHash,
  type ScryptParams,
  verifyPasscode,
} from './passcode.js';
export { LoginThrottle } from './throttle.js';
export * from './types.js';
export {
  addUser,
  isValidGroupName,
  isValidUserName,
  parseUsers,
  type UserRecord,
} from './users.js';

export interface AuthSetup {
  /** Null when no users file and no JWT are configured: every connection is anonymous. */
  authenticator: Authenticator | null;
  /** Null when there is nothing to check (no logins and no rules): everything is allowed. */
  authorizer: Authorizer | null;
}

/**
 * Build what the config's `auth` asks for. Reads the users and JWKS files
 * now, so a bad one fails here (AuthSetupError), before anything listens.
 */
export function createAuth(
  options: AuthOptions,
  matcher: DestinationMatcher,
  hooks: AuthenticatorHooks = {},
): AuthSetup {
  const enabled = authenticationEnabled(options);
  const authenticator = enabled ? new Authenticator(options, hooks) : null;
  const authorizer =
    enabled || options.rules.length > 0
      ? new Authorizer({
          rules: options.rules,
          defaultPermissions: options.defaultPermissions,
          matcher,
        })
      : null;
  return { authenticator, authorizer };
}
