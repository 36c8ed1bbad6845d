import { BrokerError } from './errors.js';

export type DestinationKind =
  | 'topic'
  | 'queue'
  | 'temp-queue'
  | 'temp-topic'
  | 'exchange'
  | 'reply-queue'
  | 'reply-topic';

/** A destination name resolved to what it routes to. */
export interface ResolvedDestination {
  kind: DestinationKind;
  /** The name within its kind (`orders` for `/queue/orders`, the exchange name for `/exchange/…`). */
  name: string;
  /** Exchange destinations: the routing key (SEND) or binding pattern (SUBSCRIBE); '' when absent. */
  key: string;
}

const USAGE =
  'Use /topic/NAME (publish-subscribe), /queue/NAME (point-to-point), /temp-queue/NAME or /temp-topic/NAME ' +
  '(private to this connection), or RabbitMQ forms /exchange/NAME[/KEY] and /amq/queue/NAME.';

/**
 * Resolve a destination header. RabbitMQ Web-STOMP users send
 * `/exchange/amq.topic/KEY` for topics and `/amq/queue/NAME` for queues, so
 * those mean the same here (DESIGN.md, "Destinations").
 */
export function resolveDestination(destination: string): ResolvedDestination {
  if (destination.startsWith('/topic/')) return named('topic', destination, 7);
  if (destination.startsWith('/queue/')) return named('queue', destination, 7);
  if (destination.startsWith('/temp-queue/')) return named('temp-queue', destination, 12);
  if (destination.startsWith('/temp-topic/')) return named('temp-topic', destination, 12);
  if (destination.startsWith('/amq/queue/')) return named('queue', destination, 11);
  if (destination.startsWith('/reply-queue/')) return named('reply-queue', destination, 13);
  if (destination.startsWith('/reply-topic/')) return named('reply-topic', destination, 13);
  if (destination.startsWith('/exchange/amq.topic/')) return named('topic', destination, 20);
  if (destination.startsWith('/exchange/')) return exchange(destination);
  throw new BrokerError(
    'invalid-destination',
    `unknown destination type: ${truncate(destination)}`,
    `The destination '${truncate(destination)}' does not start with a known prefix. ${USAGE}`,
  );
}

function named(
  kind: DestinationKind,
  destination: string,
  prefixLength: number,
): ResolvedDestination {
  const name = destination.slice(prefixLength);
  if (name === '') {
    throw new BrokerError(
      'invalid-destination',
      `empty destination name: ${destination}`,
      `The destination '${destination}' has no name after its prefix. ${USAGE}`,
    );
  }
  return { kind, name, key: '' };
}

/** `/exchange/NAME` or `/exchange/NAME/KEY` (the key may itself contain slashes). */
function exchange(destination: string): ResolvedDestination {
  const rest = destination.slice(10);
  const slash = rest.indexOf('/');
  const name = slash < 0 ? rest : rest.slice(0, slash);
  if (name === '') {
    throw new BrokerError(
      'invalid-destination',
      `malformed exchange destination: ${truncate(destination)}`,
      `'${truncate(destination)}' names no exchange. Use /exchange/NAME to send with an empty routing key, ` +
        'or /exchange/NAME/KEY.',
    );
  }
  return { kind: 'exchange', name, key: slash < 0 ? '' : rest.slice(slash + 1) };
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
