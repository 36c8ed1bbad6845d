import type { Message } from '../broker/message.js';
import type { Subscription } from '../broker/subscription.js';
import { TopicFlow } from '../broker/topic-flow.js';
import { LIMIT_BREACHES } from '../counters.js';
import type { Session } from './session.js';

// Slow consumers and per-subscription topic flow (x-max-rate, x-conflate-key):
// the one place that decides what a connection that is behind, or asked for
// less, gets of a live topic. Kept out of session.ts so the connection's
// lifecycle and this policy each have one file.

/**
 * Consumer gate for a live topic message, asked while session connection is
 * behind (outbound buffer above limits.outboundHighWaterMark) or the
 * subscription set x-max-rate / x-conflate-key. Over its rate the message
 * is held for conflation or dropped; behind, a conflating subscription holds
 * the newest per key, others are delivered until the buffer passes
 * slowConsumers.maxBufferedBytes, then dropped or disconnected
 * (slowConsumers.topicPolicy). Queues never come here: they stop dispatching.
 */
export function admitTopicMessage(
  session: Session,
  subscription: Subscription,
  message: Message,
): boolean {
  // Parked (held for resumption) or closing (deliver ignores it): no flow policy applies.
  if (session.state !== 'connected' || session.disconnecting) return true;
  if (subscription.limited) {
    const flow = subscription.flow!;
    if (flow.conflateKey !== '') {
      if (session.writable && flow.heldCount === 0 && flow.take()) return true;
      flow.hold(message);
      if (session.writable) subscription.flushHeld();
      return false;
    }
    if (!flow.take()) {
      flow.drop('max-rate');
      if (message.topic !== null) message.topic.dropped++;
      return false;
    }
  }
  if (session.writable) return true;
  const { topicPolicy, maxBufferedBytes } = session.context.config.slowConsumers;
  const buffered = session.connection.bufferedAmount;
  if (buffered <= maxBufferedBytes) return true;
  session.context.counters.increment(LIMIT_BREACHES, { limit: 'slowConsumers.maxBufferedBytes' });
  if (topicPolicy === 'disconnect') {
    session.noteEnd({
      reason: 'limit-exceeded',
      error: 'slow consumer',
      limit: 'slowConsumers.maxBufferedBytes',
    });
    session.sendError(
      'slow consumer',
      `This connection fell behind: ${buffered} bytes waited to be sent to it, more than ` +
        `slowConsumers.maxBufferedBytes (${maxBufferedBytes}); the broker's slowConsumers.topicPolicy is ` +
        "'disconnect'. Read faster, subscribe to less, or ask for less with x-max-rate or x-conflate-key; " +
        'an operator can raise slowConsumers.maxBufferedBytes.',
    );
    return false;
  }
  subscription.flow ??= newTopicFlow(session, 0, '');
  subscription.flow.drop('slow-consumer');
  if (message.topic !== null) message.topic.dropped++;
  return false;
}

/** SUBSCRIBE with x-max-rate and/or x-conflate-key: give the subscription its flow. */
export function limitTopicFlow(
  session: Session,
  subscription: Subscription,
  maxRate: number,
  conflateKey: string,
): void {
  subscription.flow = newTopicFlow(session, maxRate, conflateKey);
  subscription.limited = subscription.flow.limited;
  if (subscription.limited) session.hasLimitedFlows = true;
}

/** x-max-rate budgets refill; what conflation held goes out as far as room and budget allow. */
export function tickTopicFlows(session: Session, now: number): void {
  for (const subscription of session.subscriptions.values()) {
    const flow = subscription.flow;
    if (flow === null || !subscription.limited) continue;
    flow.refill(now);
    if (flow.heldCount > 0) subscription.flushHeld();
  }
}

function newTopicFlow(session: Session, maxRate: number, conflateKey: string): TopicFlow {
  return new TopicFlow({
    maxRate,
    conflateKey,
    maxHeldBytes: session.context.config.slowConsumers.maxBufferedBytes,
    counters: session.context.counters,
  });
}
