import { BrokerError } from '../../broker/errors.js';
import type { NackMode, Subscription } from '../../broker/subscription.js';
import type { Frame } from '../../protocol/frame.js';
import { missingHeader, SessionError } from '../errors.js';
import type { Session } from '../session.js';
import { requireTransaction } from './transaction.js';

/** ACK and NACK: settle a delivery now, or at COMMIT when a transaction is named. */
export function handleAck(session: Session, frame: Frame): void {
  const kind = frame.command === 'ACK' ? 'ack' : 'nack';
  const target = resolveDelivery(session, frame);
  if (target === null) return;
  const transactionId = frame.headers.transaction;
  if (transactionId !== undefined) {
    requireTransaction(session, transactionId, frame.command).work.push({
      kind,
      ...target,
      mode: nackMode(session, frame),
    });
    return;
  }
  const broker = session.context.broker;
  if (kind === 'ack') broker.acked += target.subscription.ack(target.tag);
  else broker.nacked += target.subscription.nack(target.tag, nackMode(session, frame));
}

interface Delivery {
  subscription: Subscription;
  tag: number;
}

/**
 * Find the delivery an ACK/NACK means. STOMP 1.2 names it by the MESSAGE's
 * `ack` header (`<subscription handle>.<tag>`); 1.1 by `message-id` plus
 * `subscription`; 1.0 by `message-id` alone. Returns null for an already
 * forgotten topic delivery, which is not an error (nothing to redeliver).
 */
function resolveDelivery(session: Session, frame: Frame): Delivery | null {
  const headers = frame.headers;
  if (session.version === '1.2') {
    const id = headers.id;
    if (id === undefined)
      throw missingHeader(frame.command, 'id', " (the value of the MESSAGE's ack header)");
    const dot = id.indexOf('.');
    const handle = dot > 0 ? digitsIn(id, 0, dot) : -1;
    const subscription = handle >= 0 ? session.subscriptions.withHandle(handle) : undefined;
    const tag = digitsIn(id, dot + 1, id.length);
    if (subscription === undefined || tag < 0) throw unknownAck(frame.command, id);
    return pending(frame.command, id, subscription, tag);
  }
  const messageId = headers['message-id'];
  if (messageId === undefined) throw missingHeader(frame.command, 'message-id');
  const subscriptionId = headers.subscription;
  if (subscriptionId !== undefined) {
    const subscription = session.subscriptions.get(subscriptionId);
    if (subscription === undefined) {
      throw new SessionError(
        'unknown-subscription',
        `no subscription with id ${subscriptionId.slice(0, 80)}`,
        `${frame.command} named subscription '${subscriptionId.slice(0, 80)}', which this connection does not have.`,
      );
    }
    const tag = subscription.tagOfMessage(messageId);
    if (tag === undefined) {
      if (subscription.lenientAcks) return null;
      throw unknownAck(frame.command, messageId);
    }
    return { subscription, tag };
  }
  let lenient = false;
  for (const subscription of session.subscriptions.values()) {
    const tag = subscription.tagOfMessage(messageId);
    if (tag !== undefined) return { subscription, tag };
    lenient ||= subscription.lenientAcks;
  }
  if (lenient) return null;
  throw unknownAck(frame.command, messageId);
}

/**
 * The number written in decimal digits in `text[from, to)`, or -1 when that
 * is empty, too long or not all digits. Read in place: every ACK names its
 * delivery this way, and slicing the id into strings to convert them cost
 * two strings per ACK (issue 9).
 */
function digitsIn(text: string, from: number, to: number): number {
  if (from >= to || to - from > 15) return -1;
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function pending(
  command: string,
  id: string,
  subscription: Subscription,
  tag: number,
): Delivery | null {
  if (subscription.isPending(tag)) return { subscription, tag };
  if (subscription.lenientAcks) return null;
  throw unknownAck(command, id);
}

function unknownAck(command: string, id: string): BrokerError {
  return new BrokerError(
    'unknown-ack-id',
    `unknown ack id ${id.slice(0, 80)}`,
    `${command} named '${id.slice(0, 80)}', which is not a message awaiting acknowledgement on this connection ` +
      '(already acknowledged, or never delivered here). Acknowledge each delivery once, using its ack header.',
  );
}

/**
 * How a NACK settles. ActiveMQ sends a NACKed message to the DLQ at once;
 * RabbitMQ requeues without limit unless `requeue:false`; Stompede
 * redelivers up to the redelivery limit, and honours `requeue:false` too.
 */
function nackMode(session: Session, frame: Frame): NackMode {
  if (session.compat === 'activemq' || frame.headers.requeue === 'false') return 'reject';
  return session.compat === 'rabbitmq' ? 'requeue-unlimited' : 'requeue';
}
