/**
 * uWebSockets.js transport: HTTP and STOMP-over-WebSocket on one port.
 *
 * Notes on uWS behaviour this adapter relies on or works around:
 * - uWS objects are only valid inside their callbacks: HttpRequest until the
 *   route handler returns, a message ArrayBuffer until `message` returns, a
 *   WebSocket until its `close` handler runs (touching it afterwards throws).
 * - ws.end()/ws.close() run the `close` handler synchronously, inside the
 *   call. We defer onClose to the next tick in that case so the layer above
 *   never sees onClose re-entrantly from inside its own send()/end()/destroy()
 *   (ws and node:net behave the same way, so the three transports agree).
 * - Above `maxBackpressure` uWS DROPS messages (send() returns 2). We set it
 *   very high and hold the session back at our own, much lower high-water mark.
 * - TLS (`wss://`, SSLApp): uWS reads the PEM files itself and cannot swap
 *   the certificate of a running app. reloadTls() builds a new SSLApp with
 *   the same routes and binds it to the same port (uSockets sets
 *   SO_REUSEPORT, so both bind at once), then closes the old listen socket.
 *   The old app lives on for its established connections. uWS offers no way
 *   to read a client certificate, so the broker serves `wss://` with the ws
 *   engine when client certificates are requested.
 */

import type {
  AppOptions,
  HttpRequest,
  HttpResponse,
  TemplatedApp,
  us_listen_socket,
  us_socket,
  WebSocket,
} from 'uWebSockets.js';
import { isUtf8 } from 'node:buffer';
import { createServer as createNetServer } from 'node:net';
import { normaliseAddress } from './address.js';
import {
  bodyLength,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_WS_PATHS,
  declaredLength,
  defaultErrorReporter,
  EMPTY_BODY,
  expectsBody,
  payloadTooLarge,
  runHttpHandler,
  statusLine,
  type TransportErrorReporter,
} from './common.js';
import {
  type Connection,
  type ConnectionAcceptor,
  type ConnectionHandler,
  DEFAULT_MAX_HTTP_BODY_BYTES,
  type HttpHandler,
  type HttpResponseData,
  type Listener,
  type SecureListener,
} from './connection.js';
import { type BatchedWriter, scheduleFlush } from './flush-scheduler.js';
import { joinParts } from './join-scratch.js';
import {
  DEFAULT_ORIGIN_OPTIONS,
  type OriginOptions,
  OriginPolicy,
  type RefusedUpgradeReporter,
  refusalBody,
} from './origin.js';
import { negotiateSubprotocol } from './subprotocol.js';
import type { TlsMaterial } from './tls-material.js';
import { loadUws, type UwsModule, uwsLoadError } from './uws-loader.js';

export interface UwsListenOptions {
  /** Interface to bind ('127.0.0.1', '0.0.0.0', '::'). */
  host: string;
  /** 0 picks an ephemeral port; Listener.port reports the bound one. */
  port: number;
  /** Paths that upgrade to WebSocket; everything else is plain HTTP. Default ['/stomp', '/ws']. */
  paths?: readonly string[];
  /** Largest inbound WebSocket message, bytes. A bigger one closes the connection. */
  maxPayload: number;
  /**
   * Hard per-socket outbound cap handed to uWS, bytes (the broker passes
   * e.g. 256 MiB). uWS drops sends above it, which we turn into destroying
   * the connection; the session never gets near it if it honours send()'s
   * return value, since that flips at `highWaterMark`.
   */
  maxBackpressure: number;
  /** send() returns false while more than this many bytes are queued. Default 1 MiB. */
  highWaterMark?: number;
  /**
   * uWS idle timeout in seconds; 0 (default) disables it and leaves liveness
   * to STOMP heart-beats. uWS rejects small non-zero values (it needs >= 8).
   */
  idleTimeoutSeconds?: number;
  /** Reports throws from the acceptor/handlers. Default: console.error. */
  onError?: TransportErrorReporter;
  /** Largest HTTP request body read for the HttpHandler; bigger ones get 413. Default 1 MiB. */
  maxHttpBodyBytes?: number;
  /** The uWS module to use; default loadUws(). */
  uws?: UwsModule;
  /**
   * Origin allow-list for upgrades (see origin.ts). Default: same origin,
   * plus any request without an Origin header.
   */
  origins?: OriginOptions;
  /** Told about every upgrade refused by the Origin check (answered 403). */
  onRefusedUpgrade?: RefusedUpgradeReporter;
  /**
   * Serve https + wss (uWS SSLApp) with this certificate and key (read by
   * uWS from material.files). No client certificates: see the module notes.
   */
  tls?: { material: TlsMaterial };
}

/** Per-socket userData, filled in `upgrade` (the only place the HTTP request is readable). */
interface SocketState {
  remoteAddress: string;
  subprotocol: string;
  connection: UwsConnection | undefined;
}

/** uWS send() status: message dropped because the socket is above maxBackpressure. */
const SEND_DROPPED = 2;

/**
 * Most bytes a connection holds back for the end of the turn: a few times
 * uWS's 16 KiB cork buffer, so a big burst costs no extra syscalls, while a
 * connection that is sent much in one turn never sits on much memory.
 */
const MAX_HELD_BYTES = 64 * 1024;

/** What a held frame is known to be: UTF-8 (a text message), not (binary), or not yet checked. */
const KIND_UNKNOWN = 0;
const KIND_TEXT = 1;
const KIND_BINARY = 2;
/**
 * Added to the kind of a frame held as two parts (sendParts): this entry is
 * the head, the next one the tail (whose own kind entry is unused).
 */
const KIND_PARTS = 4;

/**
 * The connection whose held frames the running ws.cork() pass writes: one
 * module-level callback instead of a closure per connection (uWS corks one
 * socket at a time, synchronously).
 */
let corking: UwsConnection | null = null;
function writeCorked(): void {
  corking!.writeBatch();
}

class UwsConnection implements Connection, BatchedWriter {
  readonly transport = 'uws' as const;
  readonly remoteAddress: string;
  /** uWS.js does not expose the peer port. */
  readonly remotePort = 0;
  readonly subprotocol: string;
  readonly secure: boolean;
  handler: ConnectionHandler | undefined;

  /** uWS ran our close handler: `ws` is dead and must not be touched. */
  private closed = false;
  /** end()/destroy() was called: no more sends, no more onData. */
  private ending = false;
  /** send() returned false; onDrain is owed. */
  private needDrain = false;
  /** Depth of our own calls into uWS that may run the close handler synchronously. */
  private inOwnCall = 0;
  private closeDelivered = false;
  /**
   * Frames accepted by send() and held until the end of this event-loop turn
   * (flush-scheduler.ts), then written in one corked pass: one syscall for
   * all of them. The turn's first frame is held in these fields (most
   * connections of a fan-out get one frame per turn: no arrays then), the
   * rest in the arrays below; all null between turns.
   */
  private first: Uint8Array | null = null;
  /** The first frame's tail part (sendParts), or null. */
  private firstTail: Uint8Array | null = null;
  private firstKind = KIND_UNKNOWN;
  /** Frames after the first. */
  private batch: Uint8Array[] | null = null;
  /** Per held frame: TEXT, BINARY, or UNKNOWN (check with isUtf8 when writing). */
  private batchKinds: number[] | null = null;
  private batchBytes = 0;
  /** Registered with the flush scheduler for this turn. */
  private flushQueued = false;
  /** uWS's own backlog after the last flush: it only shrinks until the next one, so held + this bounds the total. */
  private backlogAtFlush = 0;
  /** A send inside the corked pass was dropped by uWS: destroy once the pass is over. */
  private droppedInFlush = false;
  /** Held bytes that are written at once rather than at the end of the turn. */
  private readonly batchLimit: number;

  constructor(
    private readonly ws: WebSocket<SocketState>,
    state: SocketState,
    private readonly highWaterMark: number,
    private readonly onError: TransportErrorReporter,
    secure: boolean,
  ) {
    this.remoteAddress = state.remoteAddress;
    this.subprotocol = state.subprotocol;
    this.secure = secure;
    this.batchLimit = Math.min(MAX_HELD_BYTES, highWaterMark);
  }

  get bufferedAmount(): number {
    return this.closed ? 0 : this.batchBytes + this.ws.getBufferedAmount();
  }

  send(data: Uint8Array, utf8?: boolean): boolean {
    return this.hold(
      data,
      null,
      utf8 === undefined ? KIND_UNKNOWN : utf8 ? KIND_TEXT : KIND_BINARY,
    );
  }

  /** Held as two parts, joined in a reused scratch buffer at write time: no Buffer per delivery. */
  sendParts(head: Uint8Array, tail: Uint8Array, utf8: boolean): boolean {
    return this.hold(head, tail, utf8 ? KIND_TEXT : KIND_BINARY);
  }

  private hold(data: Uint8Array, tail: Uint8Array | null, kind: number): boolean {
    if (this.ending || this.closed) return false;
    if (this.first === null) {
      this.first = data;
      this.firstTail = tail;
      this.firstKind = kind;
    } else {
      if (this.batch === null) {
        this.batch = [];
        this.batchKinds = [];
      }
      if (tail === null) {
        this.batch.push(data);
        this.batchKinds!.push(kind);
      } else {
        this.batch.push(data, tail);
        this.batchKinds!.push(kind + KIND_PARTS, KIND_UNKNOWN);
      }
    }
    this.batchBytes += tail === null ? data.length : data.length + tail.length;
    if (this.batchBytes >= this.batchLimit) {
      // Enough held to fill the kernel's buffer: holding more buys no fewer
      // syscalls, so write now. This also keeps send()'s answer what it was
      // without batching: false only once uWS itself holds more than the
      // high-water mark, i.e. the peer really is not reading.
      if (!this.writeHeld()) return false;
    } else if (!this.flushQueued) {
      this.flushQueued = true;
      scheduleFlush(this);
    }
    // The one place that decides "too much queued": frames held for this
    // turn count as much as what uWS holds, so a corked connection still
    // honours the high-water mark.
    if (this.batchBytes + this.backlogAtFlush > this.highWaterMark) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  /** End of the turn: write the held frames (one corked pass), then report a drain that is owed. */
  flushBatch(): void {
    this.flushQueued = false;
    if (!this.writeHeld()) return;
    // send() may have said "full" on a backlog that uWS has since drained.
    if (this.needDrain && this.batchBytes + this.backlogAtFlush <= this.highWaterMark) {
      this.handleDrain();
    }
  }

  /**
   * Write the held frames in one corked pass and note uWS's backlog. False
   * when the connection is gone (closed, or destroyed because uWS dropped a frame).
   */
  private writeHeld(): boolean {
    if (this.closed) {
      this.dropBatch();
      return false;
    }
    if (this.first === null) return true;
    this.inOwnCall++;
    try {
      // One frame needs no cork: ws.send writes it directly.
      if (this.batch === null) this.writeBatch();
      else {
        corking = this;
        this.ws.cork(writeCorked);
      }
    } finally {
      this.inOwnCall--;
    }
    if (this.closed) return false;
    if (this.droppedInFlush) {
      this.droppedInFlush = false;
      this.onError(
        new Error(
          `uWS dropped an outbound message above maxBackpressure (${this.ws.getBufferedAmount()} bytes buffered); connection destroyed`,
        ),
        this,
      );
      this.destroy();
      return false;
    }
    this.backlogAtFlush = this.ws.getBufferedAmount();
    return true;
  }

  /** Each held frame as one WebSocket message (STOMP over WebSocket: one frame per message). */
  writeBatch(): void {
    const batch = this.batch;
    const kinds = this.batchKinds;
    if (this.sendHeld(this.first!, this.firstTail, this.firstKind) && batch !== null) {
      for (let i = 0; i < batch.length; i++) {
        const kind = kinds![i]!;
        const sent =
          kind >= KIND_PARTS
            ? this.sendHeld(batch[i]!, batch[++i]!, kind - KIND_PARTS)
            : this.sendHeld(batch[i]!, null, kind);
        if (!sent) break;
      }
    }
    // Let go of the frames: an idle connection keeps none.
    this.dropBatch();
  }

  /** One held frame as one WebSocket message; false when the pass must stop (uWS dropped it, or closed). */
  private sendHeld(data: Uint8Array, tail: Uint8Array | null, kind: number): boolean {
    // uWS copies the bytes before send returns, so the shared scratch is free again after it.
    if (tail !== null) data = joinParts(data, tail);
    // Text when the bytes are valid UTF-8, binary otherwise. A text message
    // that is not UTF-8 makes browsers fail the connection, so binary is
    // required for binary bodies; but not every client handles binary
    // messages well: @stomp/stompjs (v5+) parses both as bytes, yet the
    // legacy stomp.js 2.x (still common with Spring/SockJS tutorials)
    // decodes binary messages byte-by-byte as Latin-1 and garbles non-ASCII
    // text. Text-when-possible is what ActiveMQ/RabbitMQ/Spring send. The
    // check is buffer.isUtf8 (SIMD, ~40 ns for a 1 KiB frame).
    // A STOMP stream with a hole in it is corrupt (a lost MESSAGE, RECEIPT
    // or ERROR the client waits for forever), so a frame uWS drops (above
    // maxBackpressure) ends the connection: flushBatch destroys it after
    // this pass. Only reachable if the session ignores send()'s false or
    // maxBackpressure is configured below the high-water mark.
    const binary = kind === KIND_UNKNOWN ? !isUtf8(data) : kind === KIND_BINARY;
    if (this.ws.send(data, binary, false) === SEND_DROPPED) {
      this.droppedInFlush = true;
      return false;
    }
    return !this.closed;
  }

  private dropBatch(): void {
    this.first = null;
    this.firstTail = null;
    this.batch = null;
    this.batchKinds = null;
    this.batchBytes = 0;
  }

  end(): void {
    if (this.ending || this.closed) return;
    this.ending = true;
    // What send() accepted goes out before the close frame.
    this.writeHeld();
    if (this.closed) return;
    this.inOwnCall++;
    try {
      // Close frame 1000; uWS sends it after anything still queued.
      this.ws.end(1000);
    } finally {
      this.inOwnCall--;
    }
  }

  destroy(): void {
    if (this.closed) return;
    this.ending = true;
    this.dropBatch();
    this.inOwnCall++;
    try {
      this.ws.close();
    } finally {
      this.inOwnCall--;
    }
  }

  // --- driven by the uWS behavior ---

  handleMessage(message: ArrayBuffer): void {
    if (this.ending || this.closed || !this.handler) return;
    try {
      // The ArrayBuffer is neutered when this callback returns; the handler copies.
      this.handler.onData(new Uint8Array(message));
    } catch (err) {
      this.fail(err);
    }
  }

  handleDrain(): void {
    if (!this.needDrain || this.closed || this.ending || !this.handler) return;
    // uWS emits drain whenever some backpressure was flushed; only report
    // once we are back under our own high-water mark.
    this.backlogAtFlush = this.ws.getBufferedAmount();
    if (this.batchBytes + this.backlogAtFlush > this.highWaterMark) return;
    this.needDrain = false;
    try {
      this.handler.onDrain();
    } catch (err) {
      this.fail(err);
    }
  }

  handleClose(): void {
    this.closed = true;
    this.ending = true;
    this.dropBatch();
    if (this.inOwnCall > 0) process.nextTick(() => this.deliverClose());
    else this.deliverClose();
  }

  private deliverClose(): void {
    if (this.closeDelivered) return;
    this.closeDelivered = true;
    const handler = this.handler;
    if (!handler) return;
    try {
      handler.onClose();
    } catch (err) {
      this.onError(err, this);
    }
  }

  private fail(err: unknown): void {
    this.onError(err, this);
    this.destroy();
  }
}

/**
 * One plain HTTP request: read what the handler needs from `req` (valid only
 * during this call), read the body when one is announced (bounded), run the
 * handler, and write its answer now or when it settles, unless the client
 * went away meanwhile (uWS aborts the process if an aborted response is written).
 */
function serveHttp(
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

function writeResponse(res: HttpResponse, response: HttpResponseData, isHead: boolean): void {
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
function guarded(res: HttpResponse, onError: TransportErrorReporter, body: () => void): void {
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

/**
 * Serve HTTP and STOMP-over-WebSocket on one port with uWebSockets.js.
 * Rejects when the native module is unavailable (see loadUws/uwsLoadError)
 * or the address cannot be bound. With `options.tls` it is https + wss; see
 * listenUwsSsl.
 */
export function listenUws(
  options: UwsListenOptions,
  acceptor: ConnectionAcceptor,
  httpHandler: HttpHandler,
): Promise<Listener> {
  return listenUwsServer(options, acceptor, httpHandler);
}

/**
 * HTTPS + STOMP over secure WebSocket (`wss://`) with uWebSockets.js'
 * SSLApp. reloadTls() re-creates the app on the same port (see the module
 * notes); established connections stay up.
 */
export function listenUwsSsl(
  options: UwsListenOptions & { tls: { material: TlsMaterial } },
  acceptor: ConnectionAcceptor,
  httpHandler: HttpHandler,
): Promise<SecureListener> {
  return listenUwsServer(options, acceptor, httpHandler) as Promise<SecureListener>;
}

/** Bind to a port that was free a moment ago (found with node:net); tries a few, for the race. */
async function bindFreePort(
  app: TemplatedApp,
  host: string,
  bind: (app: TemplatedApp, port: number) => Promise<us_listen_socket>,
): Promise<us_listen_socket> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const probe = createNetServer();
      probe.once('error', reject);
      probe.listen(0, host, () => {
        const address = probe.address();
        const found = typeof address === 'object' && address ? address.port : 0;
        probe.close(() => resolve(found));
      });
    });
    try {
      return await bind(app, port);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

function appOptionsOf(material: TlsMaterial): AppOptions {
  const options: AppOptions = {
    key_file_name: material.files.keyFile,
    cert_file_name: material.files.certFile,
  };
  return options;
}

function listenUwsServer(
  options: UwsListenOptions,
  acceptor: ConnectionAcceptor,
  httpHandler: HttpHandler,
): Promise<Listener | SecureListener> {
  const uws = options.uws ?? loadUws();
  if (!uws) {
    return Promise.reject(new Error(uwsLoadError() ?? 'uWebSockets.js is not available'));
  }
  const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  const onError = options.onError ?? defaultErrorReporter;
  const paths = options.paths ?? DEFAULT_WS_PATHS;
  const origins = new OriginPolicy(options.origins ?? DEFAULT_ORIGIN_OPTIONS);
  const onRefused = options.onRefusedUpgrade;
  const secure = options.tls !== undefined;
  const maxHttpBodyBytes = options.maxHttpBodyBytes ?? DEFAULT_MAX_HTTP_BODY_BYTES;
  const { host } = options;

  /** A uWS app with our routes: plain, or SSL with this material (throws when uWS refuses it). */
  const buildApp = (material: TlsMaterial | undefined): TemplatedApp => {
    let app: TemplatedApp;
    if (material) {
      try {
        app = uws.SSLApp(appOptionsOf(material));
      } catch (err) {
        throw new Error(
          `uWebSockets.js refused TLS key ${material.files.keyFile} / certificate ${material.files.certFile}: ${(err as Error).message}`,
        );
      }
    } else {
      app = uws.App();
    }
    for (const path of paths) {
      app.ws<SocketState>(path, {
        compression: uws.DISABLED,
        maxPayloadLength: options.maxPayload,
        maxBackpressure: options.maxBackpressure,
        // Never close or drop on our behalf; see UwsConnection.send. (The
        // typings declare this option as a number; 0 is false either way.)
        closeOnBackpressureLimit: 0,
        idleTimeout: options.idleTimeoutSeconds ?? 0,
        maxLifetime: 0,
        sendPingsAutomatically: false,

        upgrade: (res, req, context) => {
          guarded(res, onError, () => {
            // req is stack-allocated: read everything before upgrading or answering.
            const key = req.getHeader('sec-websocket-key');
            const protocols = req.getHeader('sec-websocket-protocol');
            const extensions = req.getHeader('sec-websocket-extensions');
            // getHeader gives '' for a missing header, which is what check() takes as missing.
            const origin = req.getHeader('origin');
            const hostHeader = req.getHeader('host');
            const remoteAddress = normaliseAddress(
              Buffer.from(res.getRemoteAddressAsText()).toString(),
            );
            const refusal = origins.check(origin, hostHeader, secure);
            if (refusal !== null) {
              const path = req.getUrl();
              writeResponse(
                res,
                {
                  status: 403,
                  headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' },
                  body: refusalBody(refusal, origin),
                },
                false,
              );
              try {
                onRefused?.({
                  reason: refusal,
                  origin,
                  host: hostHeader,
                  path,
                  remoteAddress,
                  transport: 'uws',
                });
              } catch (err) {
                onError(err);
              }
              return;
            }
            const state: SocketState = {
              remoteAddress,
              subprotocol: negotiateSubprotocol(protocols),
              connection: undefined,
            };
            // An empty protocol string makes uWS omit Sec-WebSocket-Protocol.
            res.upgrade(state, key, state.subprotocol, extensions, context);
          });
        },

        open: (ws) => {
          const state = ws.getUserData();
          const connection = new UwsConnection(ws, state, highWaterMark, onError, secure);
          state.connection = connection;
          try {
            connection.handler = acceptor.accept(connection);
          } catch (err) {
            onError(err);
            connection.destroy();
          }
        },

        message: (ws, message) => {
          // Text and binary alike: STOMP is bytes.
          ws.getUserData().connection?.handleMessage(message);
        },

        drain: (ws) => {
          ws.getUserData().connection?.handleDrain();
        },

        close: (ws) => {
          ws.getUserData().connection?.handleClose();
        },
      });
    }

    app.any('/*', (res, req) => {
      guarded(res, onError, () => serveHttp(res, req, httpHandler, maxHttpBodyBytes, onError));
    });
    return app;
  };

  const bind = (app: TemplatedApp, port: number): Promise<us_listen_socket> =>
    new Promise((resolve, reject) => {
      app.listen(host, port, (listenSocket: us_listen_socket | false) => {
        if (listenSocket) resolve(listenSocket);
        else reject(new Error(`uWebSockets.js could not listen on ${host}:${port}`));
      });
    });

  let app: TemplatedApp;
  try {
    app = buildApp(options.tls?.material);
  } catch (err) {
    return Promise.reject(err);
  }
  // Linux lets a second SO_REUSEPORT socket join a port only when the first
  // was bound to that port by number: a port the kernel picked for port 0
  // cannot be shared, which reloadTls needs. So an SSL listener on port 0
  // asks the kernel for a free port first and binds to it by number.
  const first =
    secure && options.port === 0 ? bindFreePort(app, host, bind) : bind(app, options.port);
  return first.then((first) => {
    const boundPort = uws.us_socket_local_port(first as us_socket);
    let listenSocket = first;
    let closed = false;
    /**
     * Apps replaced by reloadTls, kept reachable for as long as the listener
     * lives: their established connections are still served by them.
     */
    const retired: TemplatedApp[] = [];
    const listener: Listener = {
      host,
      port: boundPort,
      close: async () => {
        if (closed) return;
        closed = true;
        uws.us_listen_socket_close(listenSocket);
      },
    };
    if (!secure) return listener;
    const reloadable: SecureListener = {
      ...listener,
      reloadTls: async (material) => {
        if (closed) return;
        // Throws, leaving the running app alone, when uWS refuses the files.
        const next = buildApp(material);
        // Both sockets have SO_REUSEPORT: bind the new one, then drop the old
        // one, so the port never stops accepting.
        const nextSocket = await bind(next, boundPort);
        if (closed) {
          uws.us_listen_socket_close(nextSocket);
          return;
        }
        uws.us_listen_socket_close(listenSocket);
        retired.push(app);
        app = next;
        listenSocket = nextSocket;
      },
    };
    return reloadable;
  });
}
