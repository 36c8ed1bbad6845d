/** Small pieces shared by the transport adapters. */
import { STATUS_CODES } from 'node:http';
import type {
  Connection,
  ConnectionHandler,
  HttpHandler,
  HttpRequestInfo,
  HttpResponseData,
} from './connection.js';

/**
 * Called when code above the transport (acceptor.accept or a handler
 * callback) throws. The transport has already destroyed that connection; the
 * process keeps running. `connection` is undefined when accept() itself threw.
 */
export type TransportErrorReporter = (error: unknown, connection?: Connection) => void;

/** Default outbound high-water mark: send() returns false above it. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/** Default WebSocket paths. */
export const DEFAULT_WS_PATHS: readonly string[] = ['/stomp', '/ws'];

export const defaultErrorReporter: TransportErrorReporter = (error, connection) => {
  const peer = connection ? ` (${connection.transport} ${connection.remoteAddress})` : '';
  console.error(`stompede transport: handler threw, connection destroyed${peer}:`, error);
};

/**
 * Tell the handler (if accepted) that its connection closed. A throw is
 * reported, not raised: the connection is gone, there is nothing left to fail.
 */
export function notifyClosed(
  handler: ConnectionHandler | undefined,
  connection: Connection,
  onError: TransportErrorReporter,
): void {
  if (!handler) return;
  try {
    handler.onClose();
  } catch (err) {
    onError(err, connection);
  }
}

/** `404 Not Found`, as written on an HTTP/1.1 status line. */
export function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
}

/** Byte length of a response body. */
export function bodyLength(body: Buffer | string): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.length;
}

/** Response used when the HttpHandler throws. */
export const INTERNAL_ERROR_RESPONSE: HttpResponseData = {
  status: 500,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: 'Internal Server Error\n',
};

/** Pathname of a request target: '/stomp?x=1' → '/stomp'. */
export function pathnameOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Answer to a request body over the transport's maxHttpBodyBytes. */
export function payloadTooLarge(limit: number): HttpResponseData {
  return {
    status: 413,
    headers: { 'content-type': 'application/json', connection: 'close' },
    body: JSON.stringify({
      error: `The request body is larger than ${limit} bytes, the most this broker reads (admin.maxBodyBytes).`,
      code: 'payload-too-large',
    }),
  };
}

/** Whether a request carries a body to read: not for GET/HEAD, and only when its headers announce one. */
export function expectsBody(method: string, headers: Record<string, string>): boolean {
  if (method === 'GET' || method === 'HEAD') return false;
  const length = headers['content-length'];
  if (length !== undefined) return length.trim() !== '0';
  return headers['transfer-encoding'] !== undefined;
}

/** The declared Content-Length, or -1 when there is none (chunked) or it is not a number. */
export function declaredLength(headers: Record<string, string>): number {
  const length = headers['content-length'];
  if (length === undefined || !/^\s*\d+\s*$/.test(length)) return -1;
  return Number(length);
}

export const EMPTY_BODY: Buffer = Buffer.alloc(0);

/**
 * Run the handler and hand its answer (now or later) to `respond`; a throw
 * or rejection is reported and answered 500.
 */
export function runHttpHandler(
  handler: HttpHandler,
  request: HttpRequestInfo,
  onError: TransportErrorReporter,
  respond: (response: HttpResponseData) => void,
): void {
  let result: HttpResponseData | Promise<HttpResponseData>;
  try {
    result = handler(request);
  } catch (err) {
    onError(err);
    respond(INTERNAL_ERROR_RESPONSE);
    return;
  }
  if (result instanceof Promise) {
    result.then(respond, (err: unknown) => {
      onError(err);
      respond(INTERNAL_ERROR_RESPONSE);
    });
  } else {
    respond(result);
  }
}
