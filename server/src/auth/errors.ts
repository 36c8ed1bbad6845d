/**
 * Errors the auth layer raises. Each carries a stable `code` and a `detail`
 * (the readable ERROR body), the shape the session turns into one ERROR
 * frame before closing the connection.
 */

/** Login, passcode or token not accepted. The same text whatever the reason, so nothing leaks. */
export class AuthenticationFailed extends Error {
  readonly code = 'authentication-failed';
  readonly detail =
    'The login and passcode (or token) were not accepted. Check them and connect again.';
  /** Why, for the broker's log only (never sent to the client). */
  readonly reason: string;

  constructor(reason: string) {
    super('authentication failed');
    this.name = 'AuthenticationFailed';
    this.reason = reason;
  }
}

/** A frame needs a permission its principal lacks on a destination. */
export class AccessDenied extends Error {
  readonly code = 'not-authorized';
  readonly detail: string;
  readonly permission: string;
  readonly destination: string;

  constructor(permission: string, destination: string) {
    const shown = destination.length > 200 ? `${destination.slice(0, 200)}…` : destination;
    super(`not authorized to ${permission} ${shown}`);
    this.name = 'AccessDenied';
    this.permission = permission;
    this.destination = destination;
    this.detail =
      `This login has no '${permission}' permission on ${shown}. Ask the broker's operator for access ` +
      '(rules in auth.rules of the broker config).';
  }
}

/** The auth setup itself is wrong (unreadable users file, bad JWKS): raised at startup. */
export class AuthSetupError extends Error {
  readonly code = 'invalid-config';
  constructor(message: string) {
    super(message);
    this.name = 'AuthSetupError';
  }
}
