/** Small pieces shared by the transport adapters. */
import { STATUS_CODES } from 'node:http';
import type { Connection, HttpResponseData } from './connection.js';

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
