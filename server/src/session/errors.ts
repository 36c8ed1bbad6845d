/** Stable codes for frames a session refuses; each becomes one ERROR frame and closes the connection. */
export type SessionErrorCode =
  | 'not-connected'
  | 'already-connected'
  | 'unknown-command'
  | 'missing-header'
  | 'invalid-header'
  | 'unsupported-version'
  | 'unknown-subscription'
  | 'unknown-transaction'
  | 'limit-exceeded'
  | 'heartbeat-timeout'
  | 'connect-timeout'
  | 'server-shutdown';

/** A frame the session refuses. `message` is short (ERROR's header); `detail` says what to do (ERROR's body). */
export class SessionError extends Error {
  readonly code: SessionErrorCode;
  readonly detail: string;
  /** Extra headers for the ERROR frame (e.g. `version` when negotiation fails). */
  readonly headers: ReadonlyArray<readonly [string, string]>;

  constructor(
    code: SessionErrorCode,
    message: string,
    detail?: string,
    headers: ReadonlyArray<readonly [string, string]> = [],
  ) {
    super(message);
    this.name = 'SessionError';
    this.code = code;
    this.detail = detail ?? message;
    this.headers = headers;
  }
}

export function missingHeader(command: string, header: string, why = ''): SessionError {
  return new SessionError(
    'missing-header',
    `${command} frame is missing the required '${header}' header`,
    `Every ${command} frame must carry a '${header}' header${why}. Add it and send the frame again.`,
  );
}
