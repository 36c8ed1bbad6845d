import type { Frame } from '../../protocol/frame.js';
import type { Session } from '../session.js';

/** DISCONNECT: confirm with RECEIPT when asked (STOMP's graceful shutdown), then close. */
export function handleDisconnect(session: Session, frame: Frame): void {
  const receipt = frame.headers.receipt;
  if (receipt !== undefined) session.sendReceipt(receipt);
  session.close();
}
