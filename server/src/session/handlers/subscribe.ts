import type { HistoryRequest } from '../../broker/history.js';
import { compileSelector } from '../../broker/selector/index.js';
import { type AckMode, Subscription } from '../../broker/subscription.js';
import { escapeHeader } from '../../protocol/escape.js';
import type { Frame, FrameHeaders } from '../../protocol/frame.js';
import { missingHeader, SessionError } from '../errors.js';
import type { Session } from '../session.js';
import { authorizeSubscribe, userOf } from './access.js';
import { durableName } from './durable-name.js';
import { parseHistoryRequest } from './history-request.js';

const ACK_MODES: readonly AckMode[] = ['auto', 'client', 'client-individual'];

/**
 * SUBSCRIBE: attach a subscription with its ack mode and credit to a
 * destination; durable when it names itself (ActiveMQ or RabbitMQ style);
 * with topic history first when it asks for it.
 */
export function handleSubscribe(session: Session, frame: Frame): Promise<void> | null {
  const headers = frame.headers;
  const destination = headers.destination;
  if (destination === undefined)
    throw missingHeader('SUBSCRIBE', 'destination', ' naming what to receive');
  authorizeSubscribe(session, destination, headers);
  let id = headers.id;
  if (id === undefined) {
    // STOMP 1.0 made the id optional; such a subscription is known by its destination.
    if (session.version !== '1.0')
      throw missingHeader('SUBSCRIBE', 'id', ' (required since STOMP 1.1)');
    id = destination;
  }
  // An explicit SUBSCRIBE takes over from an automatic reply-to subscription on the same temp queue.
  const automatic = session.autoSubscriptionTo(destination);
  if (automatic !== undefined) {
    session.autoSubscriptions.delete(destination);
    session.subscriptions.remove(automatic);
    automatic.close();
  }
  if (session.subscriptions.has(id)) {
    throw new SessionError(
      'invalid-header',
      `duplicate subscription id: ${id}`,
      `This connection already has a subscription with id '${id}'. Use a different id, or UNSUBSCRIBE it first.`,
    );
  }
  const limits = session.context.config.limits;
  if (session.subscriptions.size >= limits.maxSubscriptionsPerConnection) {
    throw new SessionError(
      'limit-exceeded',
      'too many subscriptions',
      `This connection already holds ${session.subscriptions.size} subscriptions, the most allowed ` +
        '(limits.maxSubscriptionsPerConnection). UNSUBSCRIBE some, or raise the limit in the broker config.',
    );
  }
  const ackMode = parseAckMode(headers.ack);
  // RabbitMQ sets no prefetch unless asked; ActiveMQ and Stompede default to queues.defaultPrefetch.
  const defaultPrefetch =
    session.compat === 'rabbitmq'
      ? Number.POSITIVE_INFINITY
      : session.context.config.queues.defaultPrefetch;
  const prefetch = parsePrefetch(headers, defaultPrefetch);
  const history: HistoryRequest | null = parseHistoryRequest(headers);
  const durable = durableName(session, headers, id);
  const subscription = new Subscription({
    id,
    handle: session.newHandle(),
    destination,
    ackMode,
    prefetch,
    consumer: session,
  });
  subscription.setWirePrefix(`subscription:${escapeHeader(id, session.version)}\n`);
  const selector = headers.selector;
  // An empty selector is no selector (JMS).
  if (selector !== undefined && selector.trim() !== '') {
    subscription.selector = compileSelector(selector);
    subscription.selectorText = selector;
  }
  if (durable !== null) subscription.durableName = durable.name;
  subscription.exclusive = headers['activemq.exclusive'] === 'true';
  subscription.noLocal = headers['activemq.noLocal'] === 'true';
  subscription.presence = headers['x-presence'] ?? '';
  applyFlowHeaders(session, subscription, headers);
  session.subscriptions.add(subscription);
  const broker = session.context.broker;
  try {
    if (headers.browser === 'true') {
      browseQueue(session, subscription);
      return null;
    }
    if (durable === null) {
      broker.subscribe(subscription, history, headers);
      return null;
    }
    return broker.subscribeDurable(
      durable.key,
      session.clientId,
      durable.name,
      subscription,
      userOf(session),
    );
  } catch (err) {
    session.subscriptions.remove(subscription);
    throw err;
  }
}

function parseAckMode(value: string | undefined): AckMode {
  if (value === undefined) return 'auto';
  if ((ACK_MODES as readonly string[]).includes(value)) return value as AckMode;
  throw new SessionError(
    'invalid-header',
    `invalid ack mode: ${value.slice(0, 40)}`,
    `The ack header must be one of ${ACK_MODES.join(', ')}.`,
  );
}

/** ActiveMQ's `activemq.prefetchSize` and RabbitMQ's `prefetch-count` both set a subscription's credit. */
function parsePrefetch(headers: FrameHeaders, fallback: number): number {
  for (const name of ['activemq.prefetchSize', 'prefetch-count']) {
    const raw = headers[name];
    if (raw === undefined) continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > 1_000_000) {
      throw new SessionError(
        'invalid-header',
        `invalid ${name}: ${raw.slice(0, 40)}`,
        `The ${name} header must be a whole number from 1 to 1000000 (the most unacknowledged messages in flight).`,
      );
    }
    return value;
  }
  return fallback;
}

/**
 * ActiveMQ queue browsing: `browser:true` sends the queue's current messages
 * without consuming them, then a MESSAGE with `browser:end`. The
 * subscription stays registered (so UNSUBSCRIBE works) but receives nothing more.
 */
function browseQueue(session: Session, subscription: Subscription): void {
  const entries = session.context.broker.browse(subscription.destination);
  for (const entry of entries) {
    if (subscription.selector !== null && !subscription.selector(entry.message.headers)) continue;
    session.deliver(subscription, entry.message, 0, entry.deliveries, false);
  }
  session.sendFrame('MESSAGE', [
    ['subscription', subscription.id],
    ['destination', subscription.destination],
    ['message-id', `browser-end-${subscription.handle}`],
    ['browser', 'end'],
  ]);
}

/**
 * `x-max-rate:<messages per second>` and `x-conflate-key:<header name>`:
 * how live topic messages are thinned for this subscriber (see
 * Session.admit). Without either header the subscription takes the fast path.
 */
function applyFlowHeaders(
  session: Session,
  subscription: Subscription,
  headers: FrameHeaders,
): void {
  const rawRate = headers['x-max-rate'];
  const conflateKey = headers['x-conflate-key'] ?? '';
  if (rawRate === undefined && conflateKey === '') return;
  let maxRate = 0;
  if (rawRate !== undefined) {
    maxRate = Number(rawRate);
    if (!Number.isInteger(maxRate) || maxRate < 1 || maxRate > 1_000_000) {
      throw new SessionError(
        'invalid-header',
        `invalid x-max-rate: ${rawRate.slice(0, 40)}`,
        'The x-max-rate header must be a whole number of messages per second from 1 to 1000000.',
      );
    }
  }
  session.limitFlow(subscription, maxRate, conflateKey);
}
