import type { Frame } from '../../protocol/frame.js';
import type { Session } from '../session.js';

/**
 * DISCONNECT: STOMP's graceful shutdown. The RECEIPT (when asked) comes after
 * everything the client sent before it took effect, store commits included.
 */
export function handleDisconnect(session: Session, frame: Frame): void {
  session.disconnect(frame.headers.receipt);
}
