/** An ERROR frame from the broker: `message` is its `message` header, `details` its body. */
export class StompedeError extends Error {
  /** Every header of the ERROR frame. */
  readonly headers: Readonly<Record<string, string>>;
  /** The ERROR body: the broker's longer explanation, if any. */
  readonly details: string;

  constructor(message: string, headers: Record<string, string> = {}, details = '') {
    super(message);
    this.name = 'StompedeError';
    this.headers = headers;
    this.details = details;
  }
}
