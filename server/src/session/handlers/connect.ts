import { randomBytes } from 'node:crypto';
import type { Principal } from '../../auth/index.js';
import { COMPAT_MODES, type CompatMode } from '../../config.js';
import type { Frame, StompVersion } from '../../protocol/frame.js';
import { SUPPORTED_VERSIONS } from '../../protocol/frame.js';
import { SessionError } from '../errors.js';
import { negotiateHeartBeat, parseHeartBeat } from '../heartbeat.js';
import type { Delivery } from '../resumption.js';
import type { Session } from '../session.js';
import { adoptPrincipal, authenticate, identityOf, userOf } from './access.js';

/**
 * CONNECT / STOMP: pick the version, check the login, agree heart-beats,
 * answer CONNECTED. A login that takes time to check (scrypt, JWT) suspends
 * the session: frames sent meanwhile wait and run in order after CONNECTED,
 * or the connection ends with ERROR `authentication failed`.
 */
export function handleConnect(session: Session, frame: Frame): void {
  if (session.state !== 'awaiting-connect') {
    throw new SessionError(
      'already-connected',
      'already connected',
      `This connection already completed CONNECT; a second ${frame.command} is not allowed. Open a new connection instead.`,
    );
  }
  const version = negotiateVersion(frame.headers['accept-version']);
  const clientBeat = parseHeartBeat(frame.headers['heart-beat']);
  session.setVersion(version);
  const compat = frame.headers['x-compat'];
  if (compat !== undefined) session.compat = parseCompat(compat);
  const principal = authenticate(session, frame);
  if (!(principal instanceof Promise)) {
    const claiming = completeConnect(session, frame, version, clientBeat, principal);
    if (claiming !== null) session.suspendUntil(claiming);
    return;
  }
  session.suspendUntil(
    principal.then((accepted) => {
      // The client may have gone (or timed out) while its login was checked.
      if (session.state === 'awaiting-connect')
        return completeConnect(session, frame, version, clientBeat, accepted) ?? undefined;
    }),
  );
}

function completeConnect(
  session: Session,
  frame: Frame,
  version: StompVersion,
  clientBeat: [number, number],
  principal: Principal,
): Promise<void> | null {
  adoptPrincipal(session, principal);
  session.login = principal.anonymous ? (frame.headers.login ?? '') : principal.name;
  const resend = resumeParked(session, frame);
  const clientId = frame.headers['client-id'] ?? session.clientId;
  const claiming =
    clientId === ''
      ? null
      : session.context.broker.claimClientId(clientId, session.ownerId, userOf(session));
  session.clientId = clientId;
  // In a cluster the client-id is checked in Redis too: CONNECTED waits for the answer.
  if (claiming === null) {
    sendConnected(session, frame, version, clientBeat, principal, resend);
    return null;
  }
  return claiming.then(() => {
    if (session.state === 'awaiting-connect')
      sendConnected(session, frame, version, clientBeat, principal, resend);
  });
}

function sendConnected(
  session: Session,
  frame: Frame,
  version: StompVersion,
  clientBeat: [number, number],
  principal: Principal,
  resend: Delivery[] | null,
): void {
  const hb = session.context.config.heartbeat;
  const agreed = negotiateHeartBeat(clientBeat, hb.sendMs, hb.receiveMs);
  session.state = 'connected';
  session.startHeartbeats(agreed.sendEveryMs, agreed.expectEveryMs);
  const headers: [string, string][] = [
    ['version', version],
    ['heart-beat', `${hb.sendMs},${hb.receiveMs}`],
    ['session', session.id],
    ['server', session.context.serverName],
  ];
  // Browsers (WebSocket) get a resume token; a TCP client only when it asks (any x-resume header),
  // so an ActiveMQ-style client's unacked messages return to the queue as soon as it drops.
  const resumable =
    session.connection.transport !== 'tcp' || frame.headers['x-resume'] !== undefined;
  if (resumable && session.context.config.resume.windowMs > 0) {
    session.resumeToken = randomBytes(18).toString('base64url');
    headers.push(['x-resume-token', session.resumeToken]);
  }
  if (resend !== null) headers.push(['x-resumed', 'true']);
  // When the login lapses (a JWT's exp), ms since the epoch: refresh before it with SEND /system/token.
  if (principal.expiresAt !== 0) headers.push(['x-token-expires', String(principal.expiresAt)]);
  session.sendFrame('CONNECTED', headers);
  if (resend === null) return;
  for (const d of resend)
    session.deliver(d.subscription, d.message, d.tag, d.redeliveries, d.replay);
  for (const subscription of session.subscriptions.values()) subscription.resume();
}

/**
 * Session resumption: CONNECT with `x-resume:<token>` (from the dropped
 * connection's CONNECTED `x-resume-token`) within the resume window takes
 * that session over, so subscriptions need not be sent again. The optional
 * `x-resume-after:<message-id>` names the last message the client saw.
 * Returns what to write again, or null when nothing was resumed.
 */
function resumeParked(session: Session, frame: Frame): Delivery[] | null {
  const token = frame.headers['x-resume'];
  if (token === undefined || token === '') return null;
  const parked = session.context.takeParked(token);
  if (parked === undefined) return null;
  if (identityOf(parked) !== identityOf(session)) {
    // Not the same user: the parked session keeps waiting for its own client.
    session.context.parkSession(parked);
    return null;
  }
  return session.adopt(parked, frame.headers['x-resume-after']);
}

function parseCompat(value: string): CompatMode {
  if ((COMPAT_MODES as readonly string[]).includes(value)) return value as CompatMode;
  throw new SessionError(
    'invalid-header',
    `unknown x-compat mode: ${value.slice(0, 40)}`,
    `x-compat chooses the defaults this connection expects: one of ${COMPAT_MODES.join(', ')}.`,
  );
}

/** Highest version both sides speak. No `accept-version` means a STOMP 1.0 client. */
function negotiateVersion(acceptVersion: string | undefined): StompVersion {
  if (acceptVersion === undefined) return '1.0';
  const offered = acceptVersion.split(',').map((v) => v.trim());
  for (let i = SUPPORTED_VERSIONS.length - 1; i >= 0; i--) {
    const candidate = SUPPORTED_VERSIONS[i]!;
    if (offered.includes(candidate)) return candidate;
  }
  throw new SessionError(
    'unsupported-version',
    `unsupported STOMP version: ${acceptVersion.slice(0, 40)}`,
    `This broker speaks STOMP ${SUPPORTED_VERSIONS.join(',')}; the client offered '${acceptVersion.slice(0, 40)}'. ` +
      `Set accept-version to include one of ${SUPPORTED_VERSIONS.join(',')}.`,
    // STOMP 1.2, "Protocol Negotiation": the ERROR lists the versions the server supports.
    [['version', SUPPORTED_VERSIONS.join(',')]],
  );
}
