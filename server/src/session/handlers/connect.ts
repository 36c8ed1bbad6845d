import { COMPAT_MODES, type CompatMode } from '../../config.js';
import type { Frame, StompVersion } from '../../protocol/frame.js';
import { SUPPORTED_VERSIONS } from '../../protocol/frame.js';
import { SessionError } from '../errors.js';
import { negotiateHeartBeat, parseHeartBeat } from '../heartbeat.js';
import type { Session } from '../session.js';

/** CONNECT / STOMP: pick the version, agree heart-beats, answer CONNECTED. */
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
  session.login = frame.headers.login ?? '';
  const clientId = frame.headers['client-id'] ?? '';
  if (clientId !== '') session.context.broker.claimClientId(clientId, session.ownerId);
  session.clientId = clientId;
  const compat = frame.headers['x-compat'];
  if (compat !== undefined) {
    if (!(COMPAT_MODES as readonly string[]).includes(compat)) {
      throw new SessionError(
        'invalid-header',
        `unknown x-compat mode: ${compat.slice(0, 40)}`,
        `x-compat chooses the defaults this connection expects: one of ${COMPAT_MODES.join(', ')}.`,
      );
    }
    session.compat = compat as CompatMode;
  }

  const hb = session.context.config.heartbeat;
  const agreed = negotiateHeartBeat(clientBeat, hb.sendMs, hb.receiveMs);
  session.state = 'connected';
  session.startHeartbeats(agreed.sendEveryMs, agreed.expectEveryMs);
  session.sendFrame('CONNECTED', [
    ['version', version],
    ['heart-beat', `${hb.sendMs},${hb.receiveMs}`],
    ['session', session.id],
    ['server', session.context.serverName],
  ]);
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
