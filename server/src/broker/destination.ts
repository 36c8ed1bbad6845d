import { BrokerError } from './errors.js';

export type DestinationKind = 'topic' | 'queue' | 'temp-queue';

/** A destination name resolved to what it routes to. */
export interface ResolvedDestination {
  kind: DestinationKind;
  /** The name within its kind (`orders` for `/queue/orders`). */
  name: string;
}

const USAGE =
  'Use /topic/NAME (publish-subscribe), /queue/NAME (point-to-point) or /temp-queue/NAME ' +
  '(private to this connection); RabbitMQ forms /exchange/amq.topic/KEY and /amq/queue/NAME are also accepted.';

/**
 * Resolve a destination header. RabbitMQ Web-STOMP users send
 * `/exchange/amq.topic/KEY` for topics and `/amq/queue/NAME` for queues, so
 * those mean the same here (DESIGN.md, "Destinations").
 */
export function resolveDestination(destination: string): ResolvedDestination {
  if (destination.startsWith('/topic/')) return named('topic', destination, 7);
  if (destination.startsWith('/queue/')) return named('queue', destination, 7);
  if (destination.startsWith('/temp-queue/')) return named('temp-queue', destination, 12);
  if (destination.startsWith('/amq/queue/')) return named('queue', destination, 11);
  if (destination.startsWith('/exchange/amq.topic/')) return named('topic', destination, 20);
  if (destination.startsWith('/exchange/')) {
    throw new BrokerError(
      'unsupported-destination',
      `unsupported destination ${destination}`,
      `Only the amq.topic exchange is available in this version (${destination} was given). ${USAGE}`,
    );
  }
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
  return { kind, name };
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
