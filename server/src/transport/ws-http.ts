/**
 * Plain HTTP on the `ws` transport's node:http(s) server: requests that are
 * not WebSocket upgrades (bounded body, then the broker's HttpHandler), and
 * upgrade requests answered with an HTTP response instead. Kept apart from
 * ws.ts, which owns the WebSocket connections and listeners.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { normaliseAddress } from './address.js';
import {
  bodyLength,
  declaredLength,
  EMPTY_BODY,
  expectsBody,
  payloadTooLarge,
  runHttpHandler,
  statusLine,
  type TransportErrorReporter,
} from './common.js';
import type { HttpHandler, HttpRequestInfo, HttpResponseData } from './connection.js';

function requestHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

export function toRequestInfo(request: IncomingMessage, body: Buffer): HttpRequestInfo {
  return {
    method: (request.method ?? 'GET').toUpperCase(),
    url: request.url ?? '/',
    headers: requestHeaders(request),
    body,
    remoteAddress: normaliseAddress(request.socket.remoteAddress),
  };
}

function responseHeaders(response: HttpResponseData): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (name.toLowerCase() !== 'content-length') headers[name] = value;
  }
  headers['content-length'] = String(bodyLength(response.body));
  return headers;
}

/**
 * One plain HTTP request: read the body when one is announced (bounded by
 * maxBody; past it 413 and the connection closes), run the handler, and
 * write its answer now or when it settles (unless the client left).
 */
export function serveHttp(
  httpHandler: HttpHandler,
  request: IncomingMessage,
  res: ServerResponse,
  maxBody: number,
  onError: TransportErrorReporter,
): void {
  const respond = (response: HttpResponseData): void => {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(response.status, responseHeaders(response));
    // node:http writes no body for HEAD by itself.
    res.end(response.body);
  };
  const method = (request.method ?? 'GET').toUpperCase();
  const headers = requestHeaders(request);
  if (!expectsBody(method, headers)) {
    runHttpHandler(httpHandler, toRequestInfo(request, EMPTY_BODY), onError, respond);
    return;
  }
  if (declaredLength(headers) > maxBody) {
    respond(payloadTooLarge(maxBody));
    request.resume();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  request.on('data', (chunk: Buffer) => {
    if (refused) return;
    size += chunk.length;
    if (size > maxBody) {
      refused = true;
      chunks.length = 0;
      respond(payloadTooLarge(maxBody));
      return;
    }
    chunks.push(chunk);
  });
  request.on('end', () => {
    if (refused) return;
    runHttpHandler(httpHandler, toRequestInfo(request, Buffer.concat(chunks)), onError, respond);
  });
  // A client that vanishes mid-body: nothing to answer.
  request.on('error', () => {});
}

/** Answer an upgrade request we will not upgrade with a plain HTTP response, then close. */
export function answerUpgradeWithHttp(
  socket: Duplex,
  response: HttpResponseData,
  isHead: boolean,
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  let head = `HTTP/1.1 ${statusLine(response.status)}\r\nconnection: close\r\n`;
  for (const [name, value] of Object.entries(responseHeaders(response))) {
    if (name.toLowerCase() !== 'connection') head += `${name}: ${value}\r\n`;
  }
  socket.on('error', () => {});
  socket.write(`${head}\r\n`);
  socket.end(isHead ? undefined : response.body);
}
