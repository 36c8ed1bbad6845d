/**
 * Who is calling the admin API, and may they. Credentials are HTTP Basic
 * (a user of the users file) or `Authorization: Bearer <JWT>`, checked by
 * the same Authenticator as STOMP logins (same throttling of failures).
 * Without credentials the caller is anonymous, which is let in exactly when
 * STOMP lets anonymous clients in (by default: no users file, no JWT).
 *
 * Read-only endpoints need `monitor` (membership of admin.monitorGroup) or
 * admin; actions need admin: the `admin` permission on every destination
 * (an auth rule `{ "match": ">", "admin": [...] }`, a default permission, or
 * a token grant), or on the destination the action touches. With no auth
 * configured at all everyone is admin (the loopback default).
 */
import { ANONYMOUS, AuthenticationFailed, type Principal } from '../auth/index.js';
import type { HttpRequestInfo } from '../transport/connection.js';
import { AdminError } from './errors.js';
import type { AdminHost } from './host.js';

/** What an endpoint requires. */
export type Access = 'monitor' | 'admin';

const CHALLENGE = { 'www-authenticate': 'Basic realm="stompede"' };

/**
 * The Basic challenge, except for script requests marked with
 * `X-Requested-With` (the web console): a browser answers a challenge to
 * fetch() with its own login prompt and holds the request until it is
 * dismissed, so the console could never show its login form.
 */
function challengeFor(request: HttpRequestInfo): Record<string, string> {
  return request.headers['x-requested-with'] === undefined ? CHALLENGE : {};
}

/** Authenticate the request; 401 when credentials are missing (and required) or wrong. */
export async function authenticateRequest(
  host: AdminHost,
  request: HttpRequestInfo,
): Promise<Principal> {
  const authenticator = host.authenticator;
  if (authenticator === null) return ANONYMOUS;
  const header = request.headers.authorization ?? '';
  if (header === '') {
    if (authenticator.allowAnonymous) return ANONYMOUS;
    throw new AdminError(
      401,
      'unauthorized',
      'The admin API needs credentials: HTTP Basic with a user of the broker users file, or Authorization: Bearer <JWT>.',
      challengeFor(request),
    );
  }
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? '' : header.slice(space + 1).trim();
  let login = '';
  let passcode = '';
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    login = colon < 0 ? decoded : decoded.slice(0, colon);
    passcode = colon < 0 ? '' : decoded.slice(colon + 1);
  } else if (scheme === 'bearer') {
    passcode = value;
  } else {
    throw new AdminError(
      401,
      'unauthorized',
      `Authorization scheme '${scheme.slice(0, 20)}' is not supported here: use Basic or Bearer.`,
      challengeFor(request),
    );
  }
  try {
    return await authenticator.authenticate({
      login,
      passcode,
      remoteAddress: request.remoteAddress,
    });
  } catch (err) {
    if (!(err instanceof AuthenticationFailed)) throw err;
    host.logger.info(
      { remoteAddress: request.remoteAddress, reason: err.reason, path: request.url.slice(0, 200) },
      'admin API login refused',
    );
    throw new AdminError(
      401,
      'unauthorized',
      'The credentials were not accepted. Check the user name and passcode (or the token).',
      challengeFor(request),
    );
  }
}

/** Whether `principal` holds admin on every destination (or on `destination`, when given). */
export function isAdmin(host: AdminHost, principal: Principal, destination?: string): boolean {
  const authorizer = host.authorizer;
  if (authorizer === null) return true;
  if (authorizer.can(principal, 'admin', '>')) return true;
  return destination !== undefined && authorizer.can(principal, 'admin', destination);
}

/** Whether `principal` may use the read-only endpoints. */
export function isMonitor(host: AdminHost, principal: Principal): boolean {
  return principal.groups.includes(host.config.admin.monitorGroup) || isAdmin(host, principal);
}

/** 403 unless `principal` has `access` (on `destination`, for actions on one destination). */
export function requireAccess(
  host: AdminHost,
  principal: Principal,
  access: Access,
  destination?: string,
): void {
  const allowed =
    access === 'monitor' ? isMonitor(host, principal) : isAdmin(host, principal, destination);
  if (allowed) return;
  const who = principal.anonymous ? 'anonymous callers' : `user '${principal.name.slice(0, 80)}'`;
  const need =
    access === 'monitor'
      ? `membership of group '${host.config.admin.monitorGroup}' (admin.monitorGroup) or the admin permission`
      : `the admin permission${destination === undefined ? '' : ` on ${destination.slice(0, 120)}`} (an auth rule such as { "match": ">", "admin": ["ops"] })`;
  const verb = principal.anonymous ? 'lack' : 'lacks';
  throw new AdminError(403, 'forbidden', `Forbidden: ${who} ${verb} ${need}.`);
}
