import { checkDurableOwner } from '../../broker/durable.js';
import type { Frame } from '../../protocol/frame.js';
import { missingHeader, SessionError } from '../errors.js';
import type { Session } from '../session.js';
import { authorizeDurableRemoval, userOf } from './access.js';
import { durableName } from './durable-name.js';

/**
 * UNSUBSCRIBE by `id` (STOMP 1.1+) or, from 1.0 clients, by id or
 * destination. Unacked messages go back to their queue. Naming a durable
 * subscription (`activemq.subscriptionName`, or `durable:true`) also deletes
 * it and whatever waits in it: that needs read on its topic, and (when an
 * authenticated user created it) to be that user. Both are checked before
 * anything changes, so a refused UNSUBSCRIBE detaches nothing.
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
  const broker = session.context.broker;
  const record = durable === null ? undefined : broker.durables.record(durable.key);
  if (record !== undefined) {
    authorizeDurableRemoval(session, record.destination);
    checkDurableOwner(record, userOf(session));
  }
  if (subscription !== undefined) {
    session.subscriptions.remove(subscription);
    subscription.close();
  } else if (durable === null) {
    throw new SessionError(
      'unknown-subscription',
      `no subscription with id ${String(id).slice(0, 80)}`,
      `UNSUBSCRIBE named '${String(id).slice(0, 80)}', but this connection has no such subscription. Use the id given in SUBSCRIBE.`,
    );
  }
  return durable === null ? null : broker.removeDurable(durable.key, durable.name, userOf(session));
}
