/** Stable codes for everything the codec can reject; each becomes one ERROR frame. */
export type ProtocolErrorCode =
  | 'frame-too-large'
  | 'too-many-headers'
  | 'header-line-too-long'
  | 'invalid-header'
  | 'invalid-escape'
  | 'invalid-content-length'
  | 'missing-frame-terminator'
  | 'invalid-command';

/**
 * A violation of the STOMP wire format detected by the codec. `message` is
 * short (it goes in the ERROR frame's `message` header); `detail` is the
 * readable explanation for the ERROR body, saying what to do about it.
 */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  readonly detail: string;

  constructor(code: ProtocolErrorCode, message: string, detail?: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.detail = detail ?? message;
  }
}
