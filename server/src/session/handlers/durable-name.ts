import type { FrameHeaders } from '../../protocol/frame.js';
import { SessionError } from '../errors.js';
import type { Session } from '../session.js';

export interface DurableName {
  /** `<client-id>:<name>`: one durable subscription per client-id and name. */
  key: string;
  name: string;
}

/**
 * The durable subscription a SUBSCRIBE or UNSUBSCRIBE names, in either
 * dialect: ActiveMQ's `activemq.subscriptionName` (needs `client-id` on
 * CONNECT), or RabbitMQ's `durable:true` with the subscription `id` as its
 * name. Null when the frame names none.
 */
export function durableName(
  session: Session,
  headers: FrameHeaders,
  id: string | undefined,
  subscribedTo: string | undefined = headers.destination,
): DurableName | null {
  // Only topics have durable subscriptions; on a queue these headers mean nothing more (RabbitMQ uses
  // durable:true on /queue/ to declare the queue durable, which every Stompede queue is for persistent messages).
  if (subscribedTo !== undefined && !isTopic(subscribedTo)) return null;
  const activemq = headers['activemq.subscriptionName'];
  if (activemq !== undefined) {
    if (session.clientId === '') {
      throw new SessionError(
        'missing-header',
        'durable subscription needs a client-id',
        "activemq.subscriptionName names a durable subscription, which belongs to a client-id: add 'client-id' to " +
          'the CONNECT frame (the same one each time this subscriber connects).',
      );
    }
    return { key: `${session.clientId}:${activemq}`, name: activemq };
  }
  if (headers.durable === 'true' || headers.persistent === 'true') {
    if (headers['auto-delete'] === 'true') return null;
    if (id === undefined) return null;
    return { key: `${session.clientId}:${id}`, name: id };
  }
  return null;
}

function isTopic(destination: string): boolean {
  return destination.startsWith('/topic/') || destination.startsWith('/exchange/amq.topic/');
}
