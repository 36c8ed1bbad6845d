/**
 * Routing explain: which live subscriptions a message with these headers
 * would reach, and why the others listening on its destination would not.
 * It asks the same decisions routing makes (topicRefusal for topics,
 * Queue.explain for queue dispatch, DurableSubscriptions.explain for durable
 * subscriptions, Exchange.route for bindings), so it cannot drift from them.
 * Nothing is published and nothing changes.
 */
import { createHeaders, type FrameHeaders } from '../protocol/frame.js';
import type { Broker } from './broker.js';
import { resolveDestination } from './destination.js';
import { BrokerError } from './errors.js';
import { createMessage, DEFAULT_PRIORITY, type Message } from './message.js';
import { isWildcard } from './pattern.js';
import type { Queue, QueueRefusal } from './queue.js';
import type { Subscription } from './subscription.js';
import { topicRefusal } from './topic-router.js';

export interface ExplainMatch {
  connectionId: string;
  subscriptionId: string;
  /** What the subscription listens on (may be a wildcard pattern). */
  destination: string;
  kind: 'topic' | 'queue' | 'durable';
  selector: string;
  /** The queue it would reach this subscriber through (queues, exchanges, virtual topics, durables). */
  via?: string;
  /** Queues: the consumer dispatch would pick next. */
  next?: boolean;
  /** Queues: false when it has no credit or buffer room now (the message would wait for it or another). */
  ready?: boolean;
}

export interface ExplainRejection {
  connectionId: string;
  subscriptionId: string;
  destination: string;
  reason: 'selector' | 'no-local' | 'policy' | 'acl';
  detail: string;
}

export interface Explanation {
  destination: string;
  kind: string;
  /** False when the SEND itself would be refused (then nobody receives it). */
  accepted: boolean;
  matched: ExplainMatch[];
  rejected: ExplainRejection[];
  /** Queues that would hold the message with nobody to take it yet, and similar facts. */
  notes: string[];
}

export interface ExplainRequest {
  destination: string;
  /** Application headers of the imagined SEND. */
  headers: Record<string, string>;
  /** The connection to explain as (no-local); '' for a message from nobody in particular. */
  senderId: string;
}

export function explainRouting(broker: Broker, request: ExplainRequest): Explanation {
  const parts = request.destination.includes(',')
    ? request.destination
        .split(',')
        .map((d) => d.trim())
        .filter((d) => d !== '')
    : [request.destination];
  const out: Explanation = {
    destination: request.destination,
    kind: parts.length > 1 ? 'composite' : resolveDestination(parts[0]!).kind,
    accepted: true,
    matched: [],
    rejected: [],
    notes: [],
  };
  for (const part of parts) explainOne(broker, part, request, out);
  return out;
}

function explainOne(
  broker: Broker,
  destination: string,
  request: ExplainRequest,
  out: Explanation,
): void {
  const resolved = resolveDestination(destination);
  if (resolved.kind !== 'exchange' && isWildcard(destination)) {
    throw new BrokerError(
      'invalid-destination',
      `cannot send to a wildcard destination: ${destination.slice(0, 80)}`,
      'Wildcards (* and >) select destinations when subscribing; explain a concrete destination.',
    );
  }
  const message = imagine(destination, request);
  switch (resolved.kind) {
    case 'topic':
      explainTopic(broker, resolved.name, message, out);
      return;
    case 'queue': {
      const queue = broker.admin.findQueue(resolved.name);
      if (queue === undefined) {
        out.notes.push(
          `${destination} does not exist yet: a SEND creates it and the message waits there for a consumer.`,
        );
        return;
      }
      explainQueue(queue, message, out, 'queue');
      return;
    }
    case 'exchange': {
      const exchange = broker.admin.exchangeRegistry.all().find((e) => e.name === resolved.name);
      if (exchange === undefined) {
        out.notes.push(`Exchange ${resolved.name} is not declared yet: nothing is bound to it.`);
        return;
      }
      const targets = exchange.route(resolved.key, message.headers);
      if (targets.length === 0)
        out.notes.push(
          `No binding of exchange ${resolved.name} matches routing key '${resolved.key}'.`,
        );
      for (const queue of targets) explainQueue(queue, message, out, 'queue');
      return;
    }
    default:
      out.notes.push(
        `${destination} is private to one connection (${resolved.kind}); explain covers topics, queues and exchanges.`,
      );
  }
}

/** The message a SEND with these headers would become (what selectors see). */
function imagine(destination: string, request: ExplainRequest): Message {
  const headers: FrameHeaders = createHeaders();
  for (const [key, value] of Object.entries(request.headers)) headers[key] = value;
  headers.destination = destination;
  headers['message-id'] = 'explain';
  const now = Date.now();
  headers.timestamp = String(now);
  const priority = Number(headers.priority);
  const message = createMessage('explain', 0, headers, Buffer.alloc(0), {
    persistent: headers.persistent === 'true',
    priority:
      Number.isInteger(priority) && priority >= 0 && priority <= 9 ? priority : DEFAULT_PRIORITY,
    expires: 0,
    timestamp: now,
  });
  message.origin = request.senderId;
  return message;
}

function explainTopic(broker: Broker, name: string, message: Message, out: Explanation): void {
  for (const subscription of broker.router.matching(name)) {
    const refusal = topicRefusal(subscription, message);
    if (refusal === null) {
      out.matched.push({ ...identify(subscription), kind: 'topic' });
    } else {
      out.rejected.push({
        ...identify(subscription),
        reason: refusal,
        detail:
          refusal === 'selector'
            ? `selector ${subscription.selectorText} is false for these headers`
            : 'the subscriber set activemq.noLocal and is the sending connection',
      });
    }
  }
  const virtual = broker.admin.virtualQueuesFor(name);
  if (virtual !== undefined)
    for (const queue of virtual) explainQueue(queue, message, out, 'queue');
  for (const durable of broker.durables.explain(`/topic/${name}`, message)) {
    const { record, live } = durable;
    const base = {
      connectionId: live?.consumer.ownerId ?? '',
      subscriptionId: live?.id ?? '',
      destination: record.destination,
    };
    if (durable.refusal !== null) {
      out.rejected.push({
        ...base,
        reason: 'policy',
        detail: `durable subscription ${record.clientId}:${record.name} is offline and keeps persistent messages only (send with persistent:true)`,
      });
    } else if (live !== null) {
      // A connected durable subscriber takes its messages through its queue: the same dispatch decides.
      explainQueue(
        durable.queue,
        message,
        out,
        'durable',
        `durable subscription ${record.clientId}:${record.name}`,
      );
    } else {
      out.matched.push({
        ...base,
        kind: 'durable',
        selector: '',
        via: `durable subscription ${record.clientId}:${record.name} (offline: the message waits for it)`,
      });
    }
  }
}

function explainQueue(
  queue: Queue,
  message: Message,
  out: Explanation,
  kind: 'queue' | 'durable',
  via: string = queue.destination,
): void {
  const name = queue.destination;
  if (queue.refusing) {
    out.accepted = false;
    out.rejected.push({
      connectionId: '',
      subscriptionId: '',
      destination: name,
      reason: 'policy',
      detail: `${name} is full (maxDepth ${queue.policy.maxDepth}, overflow refuse): the SEND would be refused`,
    });
    return;
  }
  const verdicts = queue.explain(message);
  if (verdicts.length === 0)
    out.notes.push(`${name} has no consumers: the message would wait there.`);
  for (const { subscription, refusal, next } of verdicts) {
    if (refusal === null || refusal === 'no-room') {
      out.matched.push({
        ...identify(subscription),
        kind,
        via,
        next,
        ready: refusal === null,
      });
    } else {
      out.rejected.push({
        ...identify(subscription),
        reason: refusal === 'selector' ? 'selector' : 'policy',
        detail: queueDetail(refusal, subscription),
      });
    }
  }
}

function queueDetail(
  refusal: Exclude<QueueRefusal, 'no-room'>,
  subscription: Subscription,
): string {
  switch (refusal) {
    case 'selector':
      return `selector ${subscription.selectorText} is false for these headers`;
    case 'exclusive':
      return 'another subscription is the exclusive consumer (activemq.exclusive) of this queue';
    case 'group':
      return 'the message group (JMSXGroupID) belongs to another consumer';
  }
}

function identify(subscription: Subscription) {
  return {
    connectionId: subscription.consumer.ownerId,
    subscriptionId: subscription.id,
    destination: subscription.destination,
    selector: subscription.selectorText,
  };
}
