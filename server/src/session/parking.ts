import { escapeHeader } from '../protocol/escape.js';
import { type Delivery, Resumption } from './resumption.js';
import type { Session } from './session.js';

// Resumption's session side: parking a dropped connection's session for the
// resume window, holding what arrives meanwhile, and handing it over to the
// connection that presents its resume token (resumption.ts keeps the
// deliveries themselves).

/**
 * The socket dropped without DISCONNECT: keep subscriptions and unacked
 * messages for the resume window, holding what arrives meanwhile, so the
 * client can reconnect and carry on without a gap.
 */
export function parkSession(session: Session): void {
  session.state = 'parked';
  session.parser.stop();
  session.lazyTransactions = null;
  session.resumption ??= new Resumption();
  session.resumption.parkedUntil = Date.now() + session.context.config.resume.windowMs;
  session.context.parkSession(session);
}

export function holdWhileParked(session: Session, delivery: Delivery): void {
  if (!session.resumption!.hold(delivery, session.context.config.resume)) endParkedSession(session);
}

/** The resume window passed (or the held messages outgrew their cap): release everything as a normal close. */
export function endParkedSession(session: Session): void {
  if (session.state !== 'parked') return;
  session.context.unparkSession(session);
  session.release();
  session.state = 'closed';
  session.context.sessionClosed(session);
}

/**
 * Take over a parked session (CONNECT with its resume token): its id (so
 * temp queues and client-id stay), subscriptions with their unacknowledged
 * messages, and what it held while parked. Returns what to write again.
 */
export function adoptParkedSession(
  session: Session,
  parked: Session,
  lastSeenId: string | undefined,
): Delivery[] {
  session.id = parked.id;
  session.clientId = parked.clientId;
  session.nextHandle = parked.nextHandle;
  session.hasLimitedFlows ||= parked.hasLimitedFlows;
  for (const subscription of parked.subscriptions.drain()) {
    subscription.consumer = session;
    subscription.setWirePrefix(`subscription:${escapeHeader(subscription.id, session.version)}\n`);
    session.subscriptions.add(subscription);
  }
  if (parked.lazyAutoSubscriptions !== null) {
    for (const [destination, subscription] of parked.lazyAutoSubscriptions) {
      session.autoSubscriptions.set(destination, subscription);
    }
  }
  const resend = parked.resumption?.toResend(lastSeenId) ?? [];
  retireSession(parked);
  return resend;
}

/** A resumed connection took session session over: it is gone without releasing what it handed on. */
export function retireSession(session: Session): void {
  session.context.scheduler.remove(session);
  session.state = 'closed';
  session.subscriptions.drain();
  session.context.sessionClosed(session);
}
