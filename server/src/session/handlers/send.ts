import { messageOptions } from '../../broker/message-options.js';
import type { Frame } from '../../protocol/frame.js';
import { missingHeader } from '../errors.js';
import type { Session } from '../session.js';
import { authorizeSend, handleTokenRefresh, isTokenRefresh } from './access.js';
import { rewriteReplyTo } from './reply-to.js';
import { requireTransaction } from './transaction.js';

/**
 * Headers that describe this frame or a delivery rather than the message,
 * so they are not passed through to subscribers (the broker sets its own
 * `message-id`; the encoder writes `content-length`).
 */
const FRAME_ONLY_HEADERS = [
  'receipt',
  'transaction',
  'content-length',
  'message-id',
  'subscription',
  'ack',
  'redelivered',
];

/** SEND: route now, or hold until COMMIT when it names a transaction. Returns the store commit to wait for. */
export function handleSend(session: Session, frame: Frame): Promise<void> | null {
  const headers = frame.headers;
  const destination = headers.destination;
  if (destination === undefined)
    throw missingHeader('SEND', 'destination', ' naming where the message goes');
  if (isTokenRefresh(session, destination)) return handleTokenRefresh(session, frame);
  authorizeSend(session, destination, headers);
  const transactionId = headers.transaction;
  for (const name of FRAME_ONLY_HEADERS) delete headers[name];
  const broker = session.context.broker;
  const options = messageOptions(headers, Date.now());
  rewriteReplyTo(session, headers);
  if (transactionId !== undefined) {
    const transaction = requireTransaction(session, transactionId, 'SEND');
    broker.validateDestination(destination);
    transaction.work.push({ kind: 'send', destination, headers, body: frame.body, options });
    return null;
  }
  return broker.publish(destination, headers, frame.body, session.ownerId, options);
}
