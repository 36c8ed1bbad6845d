import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
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
import type { HttpHandler, HttpResponseData } from './connection.js';

// Plain HTTP on the uWS port: uWS's request/response objects adapted to the
// transport-neutral HttpHandler (the admin API and health checks).

/**
 * One plain HTTP request: read what the handler needs from `req` (valid only
 * during this call), read the body when one is announced (bounded), run the
 * handler, and write its answer now or when it settles, unless the client
 * went away meanwhile (uWS aborts the process if an aborted response is written).
 */
export function serveHttp(
  res: HttpResponse,
  req: HttpRequest,
  httpHandler: HttpHandler,
  maxBody: number,
  onError: TransportErrorReporter,
): void {
  // getMethod() is lower-cased; keep the client's spelling, upper-cased.
  const method = req.getCaseSensitiveMethod().toUpperCase();
  const headers: Record<string, string> = {};
  req.forEach((key, value) => {
    const previous = headers[key];
    headers[key] = previous === undefined ? value : `${previous}, ${value}`;
  });
  // getQuery() is undefined (not '') when there is no query string.
  const query = req.getQuery();
  const path = req.getUrl();
  const url = query ? `${path}?${query}` : path;
  const remoteAddress = normaliseAddress(Buffer.from(res.getRemoteAddressAsText()).toString());
  let done = false;
  res.onAborted(() => {
    done = true;
  });
  const respond = (response: HttpResponseData): void => {
    if (done) return;
    done = true;
    try {
      writeResponse(res, response, method === 'HEAD');
    } catch (err) {
      onError(err);
    }
  };
  const run = (body: Buffer): void =>
    runHttpHandler(httpHandler, { method, url, headers, body, remoteAddress }, onError, respond);
  if (!expectsBody(method, headers)) {
    run(EMPTY_BODY);
    return;
  }
  if (declaredLength(headers) > maxBody) {
    respond(payloadTooLarge(maxBody));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  res.onData((chunk, isLast) => {
    if (done) return;
    size += chunk.byteLength;
    if (size > maxBody) {
      respond(payloadTooLarge(maxBody));
      return;
    }
    // The ArrayBuffer is neutered when this callback returns: copy it.
    chunks.push(Buffer.from(chunk.slice(0)));
    if (isLast) run(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  });
}

export function writeResponse(
  res: HttpResponse,
  response: HttpResponseData,
  isHead: boolean,
): void {
  res.cork(() => {
    res.writeStatus(statusLine(response.status));
    for (const [name, value] of Object.entries(response.headers)) {
      // uWS writes Content-Length itself (from the body).
      if (name.toLowerCase() === 'content-length') continue;
      res.writeHeader(name, String(value));
    }
    if (isHead) {
      // uWS would send the body on a HEAD response, and in this build
      // endWithoutBody(length) never completes the response (uWS then aborts
      // the process): write the length ourselves and end with no arguments.
      res.writeHeader('content-length', String(bodyLength(response.body)));
      res.endWithoutBody();
    } else {
      res.end(response.body);
    }
  });
}

/**
 * Run a uWS route/upgrade handler body. uWS aborts the whole process when a
 * handler returns without responding, which an exception would cause; so on
 * any throw we report and force-close that one HTTP connection.
 */
export function guarded(
  res: HttpResponse,
  onError: TransportErrorReporter,
  body: () => void,
): void {
  try {
    body();
  } catch (err) {
    onError(err);
    try {
      res.close();
    } catch {
      // Already responded or aborted: nothing left to clean up.
    }
  }
}
