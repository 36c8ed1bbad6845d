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
