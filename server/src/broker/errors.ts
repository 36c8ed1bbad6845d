/** Stable codes for requests the broker refuses; the session turns each into an ERROR frame. */
export type BrokerErrorCode =
  | 'invalid-destination'
  | 'unsupported-destination'
  | 'unknown-ack-id'
  | 'duplicate-subscription'
  | 'invalid-header';

/** A request the broker cannot honour. `message` is short; `detail` says what to do. */
export class BrokerError extends Error {
  readonly code: BrokerErrorCode;
  readonly detail: string;

  constructor(code: BrokerErrorCode, message: string, detail?: string) {
    super(message);
    this.name = 'BrokerError';
    this.code = code;
    this.detail = detail ?? message;
  }
}
