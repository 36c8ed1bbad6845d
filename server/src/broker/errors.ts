import type { Queue } from './queue.js';

/** Stable codes for requests the broker refuses; the session turns each into an ERROR frame. */
export type BrokerErrorCode =
  | 'invalid-destination'
  | 'unsupported-destination'
  | 'unknown-ack-id'
  | 'duplicate-subscription'
  | 'invalid-header'
  | 'limit-exceeded'
  | 'not-authorized';

/** A request the broker cannot honour. `message` is short; `detail` says what to do. */
export class BrokerError extends Error {
  readonly code: BrokerErrorCode;
  readonly detail: string;
  /** For 'limit-exceeded': the config key of the limit (the `limit` label of the breach counter). */
  readonly limit: string | undefined;

  constructor(code: BrokerErrorCode, message: string, detail?: string, limit?: string) {
    super(message);
    this.name = 'BrokerError';
    this.code = code;
    this.detail = detail ?? message;
    this.limit = limit;
  }
}

/** A queue at its maxDepth refuses a SEND (overflow 'reject'). */
export function queueFull(queue: Queue): BrokerError {
  const max = queue.policy.maxDepth;
  const name = queue.destination.slice(0, 120);
  return new BrokerError(
    'limit-exceeded',
    `queue ${name} is full (maxDepth ${max})`,
    `${name} already holds ${max} waiting messages, the most its policy allows (maxDepth, from ` +
      'destinationDefaults.maxDepth or a matching "destinations" rule). This message was not accepted. ' +
      'Let its consumers catch up and send again, raise maxDepth, or set overflow to "drop-oldest" ' +
      'to keep the newest messages instead.',
    'maxDepth',
  );
}

/** A SEND to a wildcard destination (wildcards select only when subscribing). */
export function wildcardSend(destination: string): BrokerError {
  return new BrokerError(
    'invalid-destination',
    `cannot send to a wildcard destination: ${destination.slice(0, 80)}`,
    'Wildcards (* and >) select destinations when subscribing; a SEND needs concrete destinations ' +
      '(one, or several separated by commas).',
  );
}
