import { Subscription } from '../../broker/subscription.js';
import { escapeHeader } from '../../protocol/escape.js';
import type { FrameHeaders } from '../../protocol/frame.js';
import type { Session } from '../session.js';

/**
 * Request/reply over temp destinations. A SEND whose `reply-to` names this
 * connection's `/temp-queue/NAME` (or `/temp-topic/NAME`) gets it rewritten
 * to an opaque `/reply-queue/…` name others can send to, as RabbitMQ does.
 * If nothing here subscribes to that temp queue yet, an automatic
 * subscription with id `/temp-queue/NAME` receives the replies (RabbitMQ's
 * behaviour; an ActiveMQ client subscribes first and keeps its own).
 */
export function rewriteReplyTo(session: Session, headers: FrameHeaders): void {
  const replyTo = headers['reply-to'];
  if (replyTo === undefined) return;
  const broker = session.context.broker;
  const rewritten = broker.replyDestination(session.ownerId, replyTo);
  if (rewritten === null) return;
  headers['reply-to'] = rewritten;
  if (!replyTo.startsWith('/temp-queue/') || hasSubscriptionTo(session, replyTo)) return;
  if (session.subscriptions.has(replyTo)) return;
  const subscription = new Subscription({
    id: replyTo,
    handle: session.newHandle(),
    destination: replyTo,
    ackMode: 'auto',
    prefetch: 1,
    consumer: session,
  });
  subscription.setWirePrefix(`subscription:${escapeHeader(replyTo, session.version)}\n`);
  session.subscriptions.add(subscription);
  session.autoSubscriptions.set(replyTo, subscription);
  broker.subscribe(subscription, null, headers);
}

function hasSubscriptionTo(session: Session, destination: string): boolean {
  for (const subscription of session.subscriptions.values()) {
    if (subscription.destination === destination) return true;
  }
  return false;
}
