/**
 * The two log lines every client connection gets: one when it opens, one
 * when it closes, with why it closed. Operators reconstruct a client's story
 * from these two lines (plus, for limits, the breach line), so each close
 * path in the session records its reason before the socket goes.
 */
import type { Session } from './session.js';

/**
 * Why a connection ended:
 * - `client-disconnect`: the client sent DISCONNECT;
 * - `error`: the broker sent ERROR (its `message` is in `error`) for what the client did;
 * - `limit-exceeded`: ERROR for a limit breach (`limit` names the config key);
 * - `heartbeat-timeout`: nothing arrived within the agreed heart-beat;
 * - `server-shutdown`: the broker is stopping;
 * - `socket-closed`: the peer closed the socket or it failed, without DISCONNECT.
 */
export type CloseReason =
  | 'client-disconnect'
  | 'error'
  | 'limit-exceeded'
  | 'heartbeat-timeout'
  | 'server-shutdown'
  | 'socket-closed';

export interface EndNote {
  reason: CloseReason;
  /** The ERROR frame's `message`, when one was sent. */
  error?: string;
  /** For `limit-exceeded`: the limit's config key. */
  limit?: string;
}

/**
 * The session id each connection opened with. A connection that resumes a
 * dropped session (CONNECT x-resume) takes that session's id, so its close
 * line names both: `connection` (as opened) and `session` (as resumed).
 */
const openedAs = new WeakMap<Session, string>();

export function logConnectionOpen(session: Session): void {
  const c = session.connection;
  openedAs.set(session, session.id);
  session.context.logger.info(
    {
      event: 'connection.open',
      connection: session.id,
      session: session.id,
      transport: c.transport,
      secure: c.secure === true,
      remoteAddress: c.remoteAddress,
      remotePort: c.remotePort,
    },
    'connection opened',
  );
}

export function logConnectionClose(session: Session, note: EndNote, openedAt: number): void {
  const c = session.connection;
  const principal = session.principal;
  session.context.logger.info(
    {
      event: 'connection.close',
      connection: openedAs.get(session) ?? session.id,
      session: session.id,
      transport: c.transport,
      remoteAddress: c.remoteAddress,
      user: principal === null || principal.anonymous ? undefined : principal.name,
      clientId: session.clientId === '' ? undefined : session.clientId,
      ...note,
      // A dropped session waits for its client to resume it (x-resume).
      resumable: session.state === 'parked' ? true : undefined,
      durationMs: Date.now() - openedAt,
      framesIn: session.framesIn,
      messagesOut: session.messagesOut,
    },
    'connection closed',
  );
}
