/**
 * The session's side of auth: who a CONNECT is (through the Authenticator),
 * whether a frame may touch a destination (through the Authorizer, with a
 * small per-session cache), and the in-band token refresh
 * (`SEND destination:/system/token`, the new JWT as the body).
 */
import {
  AccessDenied,
  ALL_PERMISSIONS,
  ANONYMOUS,
  type Permission,
  type Principal,
  permissionBit,
  WRITE,
} from '../../auth/index.js';
import { isWildcard, matchesPattern } from '../../broker/pattern.js';
import type { Frame, FrameHeaders } from '../../protocol/frame.js';
import { SessionError } from '../errors.js';
import type { Session } from '../session.js';

/** Where a client sends a fresh JWT to extend its connection's login. */
export const TOKEN_DESTINATION = '/system/token';

/** Counter of frames refused for lack of permission, labelled with the permission. */
export const ACCESS_DENIED = 'stompede_access_denied_total';

/** Destinations whose permissions a session remembers; past this the cache starts over. */
const CACHE_LIMIT = 256;

/** RabbitMQ queue arguments: a SUBSCRIBE carrying any declares the queue's properties (admin). */
const QUEUE_ARGUMENT_HEADERS = [
  'x-message-ttl',
  'x-max-length',
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
];

/**
 * The matcher the Authorizer uses: does rule pattern `pattern` cover
 * `destination`, which may itself be a wildcard pattern (a wildcard
 * SUBSCRIBE needs read on the pattern)? ActiveMQ wildcards via the broker's
 * matchesPattern, which reads the destination's own `*` and `>` as names:
 * that is right except that a rule's `*` would then cover a subscribed `>`,
 * which reaches deeper. A `>` in the destination is covered only by a `>`
 * at or before the same segment in the rule.
 */
export function coversDestination(pattern: string, destination: string): boolean {
  if (!matchesPattern(pattern, destination)) return false;
  if (pattern === destination || !isWildcard(destination)) return true;
  const have = destination.split('.');
  const want = pattern.split('.');
  const deep = have.indexOf('>');
  if (deep < 0) return true;
  const ruleDeep = want.indexOf('>');
  return ruleDeep >= 0 && ruleDeep <= deep;
}

// ── CONNECT ────────────────────────────────────────────────────────────

/**
 * Check CONNECT's login and passcode. Without an Authenticator (no users
 * file, no JWT) every connection is anonymous, at once; otherwise a promise
 * that rejects with `authentication failed` (delayed for repeat offenders).
 */
export function authenticate(session: Session, frame: Frame): Principal | Promise<Principal> {
  const authenticator = session.context.authenticator;
  if (authenticator === null || authenticator === undefined) return ANONYMOUS;
  const certificate = session.connection.peerCertificate;
  return authenticator.authenticate({
    login: frame.headers.login,
    passcode: frame.headers.passcode,
    remoteAddress: session.connection.remoteAddress,
    certificate:
      certificate === undefined
        ? null
        : { commonName: certificate.subject, distinguishedName: certificate.distinguishedName },
  });
}

/** Make `principal` the session's identity: permissions are looked up afresh, expiry rescheduled. */
export function adoptPrincipal(session: Session, principal: Principal): void {
  session.principal = principal;
  session.forgetPermissions();
  const grace = session.context.authenticator?.expiryGraceMs ?? 0;
  session.tokenExpiresAt = principal.expiresAt === 0 ? 0 : principal.expiresAt + grace;
}

/** Who a session is, for matching a resumed session to its owner. */
export function identityOf(session: Session): string {
  const principal = session.principal;
  return principal === null || principal.anonymous
    ? `anonymous:${session.login}`
    : `${principal.method === 'jwt' ? 'jwt' : 'user'}:${principal.name}`;
}

/**
 * The user name durable subscriptions and client-ids are bound to: the
 * login's name, or '' for anonymous connections (which bind nothing).
 */
export function userOf(session: Session): string {
  const principal = session.principal;
  return principal === null || principal.anonymous ? '' : principal.name;
}

// ── token refresh ──────────────────────────────────────────────────────

/** Whether this SEND is an in-band token refresh (only where JWT logins are configured). */
export function isTokenRefresh(session: Session, destination: string): boolean {
  return destination === TOKEN_DESTINATION && session.context.authenticator?.jwt != null;
}

/**
 * `SEND destination:/system/token` with a fresh JWT as the body: once it is
 * verified (same user), the connection lives on under the new token, with
 * its groups and permissions; the RECEIPT says so. A token that is not
 * accepted ends the connection with ERROR `authentication failed`. The
 * returned promise is what the RECEIPT (or ERROR) waits for.
 */
export function handleTokenRefresh(session: Session, frame: Frame): Promise<void> {
  if (frame.headers.transaction !== undefined) {
    throw new SessionError(
      'invalid-header',
      'token refresh cannot be transactional',
      `A SEND to ${TOKEN_DESTINATION} takes effect at once; send it without a 'transaction' header.`,
    );
  }
  const authenticator = session.context.authenticator!;
  const token = frame.body.toString('utf8').trim();
  const current = session.principal ?? ANONYMOUS;
  return authenticator
    .refresh(current, token, session.connection.remoteAddress)
    .then((principal) => {
      if (session.state !== 'connected') return;
      // Overlapping refreshes: never step back to an earlier expiry.
      if (principal.expiresAt !== 0 && principal.expiresAt < current.expiresAt) return;
      adoptPrincipal(session, principal);
      // The new token may carry fewer groups: what it can no longer read ends the connection.
      for (const subscription of session.subscriptions.values()) {
        if (session.autoSubscriptions.get(subscription.destination) === subscription) continue;
        requireRead(session, subscription.destination, null);
      }
    });
}

// ── permissions ────────────────────────────────────────────────────────

/** SEND: write on the destination, on every part of a composite one. */
export function authorizeSend(session: Session, destination: string, headers: FrameHeaders): void {
  if (session.context.authorizer == null) return;
  if (destination.includes(',')) {
    for (const part of destination.split(',')) {
      const name = part.trim();
      if (name !== '') demand(session, 'write', sendResource(name));
    }
  } else {
    demand(session, 'write', sendResource(destination));
  }
  const exchangeType = headers['x-exchange-type'];
  if (exchangeType !== undefined && destination.startsWith('/exchange/')) {
    demand(session, 'admin', wholeExchange(destination));
  }
}

/**
 * SUBSCRIBE (and browsing): read on the destination or wildcard pattern;
 * admin when the frame declares something (queue arguments, an exchange's
 * type); read on a named queue an exchange subscription fills.
 */
export function authorizeSubscribe(
  session: Session,
  destination: string,
  headers: FrameHeaders,
): void {
  if (session.context.authorizer == null) return;
  requireRead(session, destination, headers);
  if (QUEUE_ARGUMENT_HEADERS.some((name) => headers[name] !== undefined)) {
    const queueName = headers['x-queue-name'];
    if (destination.startsWith('/exchange/')) {
      if (queueName !== undefined && queueName !== '')
        demand(session, 'admin', `/queue/${queueName}`);
    } else {
      demand(session, 'admin', canonical(destination));
    }
  }
  if (headers['x-exchange-type'] !== undefined && destination.startsWith('/exchange/')) {
    demand(session, 'admin', wholeExchange(destination));
  }
}

/**
 * UNSUBSCRIBE that deletes a durable subscription: the same read permission
 * on its topic that subscribing needed. Deleting one is undoing one's own
 * subscription (ActiveMQ asks nothing more); whose subscription it is, is
 * settled by the owner binding (broker/durable.ts), so admin would only
 * lock users out of cleaning up after themselves.
 */
export function authorizeDurableRemoval(session: Session, topic: string): void {
  requireRead(session, topic, null);
}

function requireRead(session: Session, destination: string, headers: FrameHeaders | null): void {
  if (session.context.authorizer == null) return;
  demand(session, 'read', readResource(destination));
  const queueName = headers?.['x-queue-name'];
  if (queueName !== undefined && queueName !== '' && destination.startsWith('/exchange/')) {
    demand(session, 'read', `/queue/${queueName}`);
  }
}

function demand(session: Session, permission: Permission, resource: string): void {
  if ((permissionsOn(session, resource) & permissionBit(permission)) !== 0) return;
  session.context.counters.increment(ACCESS_DENIED, { permission });
  throw new AccessDenied(permission, resource);
}

/** Permission bits on a canonical destination, from the session's cache or the Authorizer. */
function permissionsOn(session: Session, resource: string): number {
  const cached = session.permissionCache.get(resource);
  if (cached !== undefined) return cached;
  let bits: number;
  if (resource.startsWith('/temp-queue/') || resource.startsWith('/temp-topic/')) {
    // Private to this connection: the broker keys them by connection, so there is nobody else's to reach.
    bits = ALL_PERMISSIONS;
  } else if (resource.startsWith('/reply-queue/') || resource.startsWith('/reply-topic/')) {
    // The opaque name a reply-to was rewritten to is the capability to answer (RabbitMQ's rule).
    bits = WRITE;
  } else {
    bits = session.context.authorizer!.permissions(session.principal ?? ANONYMOUS, resource);
  }
  if (session.permissionCache.size >= CACHE_LIMIT) session.permissionCache.clear();
  session.permissionCache.set(resource, bits);
  return bits;
}

/**
 * The name rules see: RabbitMQ aliases become what they mean
 * (`/amq/queue/X` is `/queue/X`, `/exchange/amq.topic/K` is `/topic/K`), so
 * no alias reaches around a rule.
 */
function canonical(destination: string): string {
  if (destination.startsWith('/amq/queue/')) return `/queue/${destination.slice(11)}`;
  if (destination.startsWith('/exchange/amq.topic/')) return `/topic/${destination.slice(20)}`;
  return destination;
}

/** SEND to an exchange is checked on its literal routing key: `/exchange/NAME/KEY` (`/exchange/NAME/` without one). */
function sendResource(destination: string): string {
  const name = canonical(destination);
  if (name.startsWith('/exchange/') && name.indexOf('/', 10) < 0) return `${name}/`;
  return name;
}

/**
 * What a SUBSCRIBE reads. Only amq.direct (literal keys) and amq.topic (the
 * topic itself) bind by key alone; other exchanges may be fanout or headers
 * exchanges, where the key selects nothing, so reading any part of them
 * needs read on all of them.
 */
function readResource(destination: string): string {
  const name = canonical(destination);
  if (!name.startsWith('/exchange/') || name.startsWith('/exchange/amq.direct/')) return name;
  return wholeExchange(name);
}

/** `/exchange/NAME/>`: every routing key of exchange NAME. */
function wholeExchange(destination: string): string {
  const slash = destination.indexOf('/', 10);
  return `${slash < 0 ? destination : destination.slice(0, slash)}/>`;
}
