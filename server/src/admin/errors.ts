/**
 * Errors of the admin API: each becomes one JSON answer
 * `{"error": "<what was wrong and what to do>", "code": "<stable code>"}`
 * with its HTTP status.
 */
export type AdminErrorCode =
  | 'not-found'
  | 'bad-request'
  | 'unauthorized'
  | 'forbidden'
  | 'method-not-allowed'
  | 'conflict'
  | 'unavailable';

export class AdminError extends Error {
  readonly status: number;
  readonly code: AdminErrorCode;
  /** Extra response headers (WWW-Authenticate, Allow). */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: AdminErrorCode,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AdminError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** 404 naming what was not found, e.g. notFound('queue', '/queue/orders'). */
export function notFound(kind: string, name: string): AdminError {
  return new AdminError(404, 'not-found', `No ${kind} ${clip(name)} on this broker.`);
}

/** 400 naming the bad parameter and what it takes. */
export function badRequest(message: string): AdminError {
  return new AdminError(400, 'bad-request', message);
}

export function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
