import type { Frame } from '../../protocol/frame.js';
import { missingHeader, SessionError } from '../errors.js';
import type { Session } from '../session.js';
import { durableName } from './durable-name.js';

/**
 * UNSUBSCRIBE by `id` (STOMP 1.1+) or, from 1.0 clients, by id or
 * destination. Unacked messages go back to their queue. Naming a durable
 * subscription (`activemq.subscriptionName`, or `durable:true`) also deletes
 * it and whatever waits in it.
 */
export function handleUnsubscribe(session: Session, frame: Frame): Promise<void> | null {
  const headers = frame.headers;
  const id = headers.id ?? (session.version === '1.0' ? headers.destination : undefined);
  const subscription = id === undefined ? undefined : session.subscriptions.get(id);
  const durable = durableName(
    session,
    headers,
    id,
    subscription?.destination ?? headers.destination,
  );
  if (id === undefined && durable === null) {
    throw missingHeader('UNSUBSCRIBE', session.version === '1.0' ? 'id (or destination)' : 'id');
  }
  if (subscription !== undefined) {
    session.subscriptions.delete(subscription.id);
    session.subscriptionsByHandle.delete(subscription.handle);
    subscription.close();
  } else if (durable === null) {
    throw new SessionError(
      'unknown-subscription',
      `no subscription with id ${String(id).slice(0, 80)}`,
      `UNSUBSCRIBE named '${String(id).slice(0, 80)}', but this connection has no such subscription. Use the id given in SUBSCRIBE.`,
    );
  }
  return durable === null ? null : session.context.broker.removeDurable(durable.key, durable.name);
}
