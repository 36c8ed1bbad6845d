import type { Frame } from '../../protocol/frame.js';
import { missingHeader, SessionError } from '../errors.js';
import type { Session } from '../session.js';

/** UNSUBSCRIBE by `id` (STOMP 1.1+) or, from 1.0 clients, by id or destination. Unacked messages go back to their queue. */
export function handleUnsubscribe(session: Session, frame: Frame): void {
  const id =
    frame.headers.id ?? (session.version === '1.0' ? frame.headers.destination : undefined);
  if (id === undefined) {
    throw missingHeader('UNSUBSCRIBE', session.version === '1.0' ? 'id (or destination)' : 'id');
  }
  const subscription = session.subscriptions.get(id);
  if (subscription === undefined) {
    throw new SessionError(
      'unknown-subscription',
      `no subscription with id ${id.slice(0, 80)}`,
      `UNSUBSCRIBE named '${id.slice(0, 80)}', but this connection has no such subscription. Use the id given in SUBSCRIBE.`,
    );
  }
  session.subscriptions.delete(id);
  session.subscriptionsByHandle.delete(subscription.handle);
  subscription.close();
}
