/**
 * `ws` transport: the fallback when native uWebSockets.js is unavailable, and
 * the way to mount the broker on an existing node http(s) server (Express…).
 * With `tls` it serves `wss://` over node:https (reloadable certificate,
 * client certificates), which the broker also uses when uWS cannot do what
 * TLS is configured for (client certificates).
 */
import { isUtf8 } from 'node:buffer';
import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { normaliseAddress } from './address.js';
import {
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_WS_PATHS,
  defaultErrorReporter,
  EMPTY_BODY,
  notifyClosed,
  pathnameOf,
  runHttpHandler,
  type TransportErrorReporter,
} from './common.js';
import {
  type Connection,
  type ConnectionAcceptor,
  type ConnectionHandler,
  DEFAULT_MAX_HTTP_BODY_BYTES,
  type HttpHandler,
  type Listener,
  type PeerCertificate,
  type SecureListener,
} from './connection.js';
import { closeOnce, listenNodeServer } from './node-listen.js';
import {
  DEFAULT_ORIGIN_OPTIONS,
  type OriginOptions,
  OriginPolicy,
  type RefusedUpgradeReporter,
  refusalBody,
} from './origin.js';
import { selectSubprotocol } from './subprotocol.js';
import {
  isTlsSocket,
  secureContextOptions,
  type TlsServerOptions,
  verifiedPeerCertificate,
} from './tls-material.js';
import { TurnCork } from './turn-cork.js';
import { answerUpgradeWithHttp, serveHttp, toRequestInfo } from './ws-http.js';

export interface WsAttachOptions {
  /** Paths that upgrade to WebSocket. Default ['/stomp', '/ws']. */
  paths?: readonly string[];
  /** Largest inbound WebSocket message, bytes. A bigger one closes the connection (1009). */
  maxPayload: number;
  /**
   * send() returns false while more than this many bytes are queued. Default
   * 1 MiB. Raised to the socket's own writableHighWaterMark (16 KiB) if lower,
   * so the socket's 'drain' event is guaranteed to follow a false.
   */
  highWaterMark?: number;
  /** Reports throws from the acceptor/handlers. Default: console.error. */
  onError?: TransportErrorReporter;
  /**
   * Origin allow-list for upgrades (see origin.ts). Default: same origin,
   * plus any request without an Origin header.
   */
  origins?: OriginOptions;
  /** Told about every upgrade refused by the Origin check (answered 403). */
  onRefusedUpgrade?: RefusedUpgradeReporter;
}

export interface WsListenOptions extends WsAttachOptions {
  host: string;
  /** Largest HTTP request body read for the HttpHandler; bigger ones get 413. Default 1 MiB. */
  maxHttpBodyBytes?: number;
  /** 0 picks an ephemeral port; Listener.port reports the bound one. */
  port: number;
  /** Serve https + wss instead of http + ws. */
  tls?: TlsServerOptions;
}

export interface WsAttachment {
  /**
   * Stop upgrading on our paths and detach from the server. Existing
   * WebSocket connections are left to their owners; the server is not closed.
   */
  close(): Promise<void>;
}

class WsConnection implements Connection {
  readonly transport = 'ws' as const;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly subprotocol: string;
  readonly secure: boolean;
  readonly peerCertificate: PeerCertificate | undefined;
  handler: ConnectionHandler | undefined;

  private closed = false;
  private ending = false;
  private needDrain = false;
  private readonly highWaterMark: number;
  /** Corks the socket for the rest of the turn from its first write (one writev per turn). */
  private readonly cork: TurnCork;

  constructor(
    private readonly ws: WebSocket,
    socket: Duplex,
    request: IncomingMessage,
    highWaterMark: number,
    private readonly onError: TransportErrorReporter,
  ) {
    this.remoteAddress = normaliseAddress(request.socket.remoteAddress);
    this.remotePort = request.socket.remotePort ?? 0;
    this.subprotocol = ws.protocol;
    const raw = request.socket;
    this.secure = isTlsSocket(raw);
    this.peerCertificate = isTlsSocket(raw) ? verifiedPeerCertificate(raw) : undefined;
    this.highWaterMark = Math.max(highWaterMark, socket.writableHighWaterMark);
    this.cork = new TurnCork(socket);

    // Backpressure signal. The WebSocket object has no 'drain' event and its
    // socket (`ws._socket`) is private, but the upgrade hands us that very
    // socket, so we listen to its public 'drain' event. ws.bufferedAmount is
    // that socket's writableLength (plus deflate queue, off here). Because our
    // high-water mark is >= the socket's own, whenever send() returns false
    // the socket's write() has returned false too, so 'drain' is guaranteed
    // to follow (when the socket buffer empties).
    socket.on('drain', () => this.handleDrain());

    ws.on('message', (data, isBinary) => this.handleMessage(data, isBinary));
    // Errors (bad frames, maxPayload exceeded, ECONNRESET) are always
    // followed by 'close'; the listener only keeps them from being thrown.
    ws.on('error', () => {});
    ws.on('close', () => this.handleClose());
  }

  get bufferedAmount(): number {
    return this.closed ? 0 : this.ws.bufferedAmount;
  }

  send(data: Uint8Array, utf8?: boolean): boolean {
    if (this.ending || this.closed) return false;
    // Corked until the end of the turn, as TCP is: without it every frame ws
    // writes is a syscall of its own (a fan-out pays one per delivery).
    this.cork.hold();
    // Text when valid UTF-8, binary otherwise: see UwsConnection.writeBatch.
    // ws frames the bytes without copying: the caller must not reuse `data`.
    this.ws.send(data, { binary: !(utf8 ?? isUtf8(data)), compress: false, fin: true });
    this.cork.wrote(data.length);
    // bufferedAmount is the socket's writableLength, which counts corked bytes too.
    if (this.ws.bufferedAmount > this.highWaterMark) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  end(): void {
    if (this.ending || this.closed) return;
    this.ending = true;
    this.cork.release();
    // Closing handshake (1000) queued after pending data; ws destroys the
    // socket if the peer does not answer within 30 s.
    this.ws.close(1000);
  }

  destroy(): void {
    if (this.closed) return;
    this.ending = true;
    this.ws.terminate();
  }

  private handleMessage(data: RawData, _isBinary: boolean): void {
    if (this.ending || this.closed || !this.handler) return;
    try {
      // Default binaryType 'nodebuffer': a Buffer for text and binary alike.
      // Fragmented messages could arrive as Buffer[] under other binaryTypes.
      const chunk = Array.isArray(data)
        ? Buffer.concat(data)
        : data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : data;
      this.handler.onData(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  private handleDrain(): void {
    if (!this.needDrain || this.closed || this.ending || !this.handler) return;
    if (this.ws.bufferedAmount > this.highWaterMark) return;
    this.needDrain = false;
    try {
      this.handler.onDrain();
    } catch (err) {
      this.fail(err);
    }
  }

  private handleClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.ending = true;
    notifyClosed(this.handler, this, this.onError);
  }

  private fail(err: unknown): void {
    this.onError(err, this);
    this.destroy();
  }
}

/** The upgrade machinery shared by listenWs and attachWs. */
class WsUpgrader {
  readonly wss: WebSocketServer;
  private readonly paths: ReadonlySet<string>;
  private readonly highWaterMark: number;
  private readonly onError: TransportErrorReporter;
  private readonly origins: OriginPolicy;
  private readonly onRefused: RefusedUpgradeReporter | undefined;

  constructor(
    options: WsAttachOptions,
    private readonly acceptor: ConnectionAcceptor,
  ) {
    this.paths = new Set(options.paths ?? DEFAULT_WS_PATHS);
    this.highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.onError = options.onError ?? defaultErrorReporter;
    this.origins = new OriginPolicy(options.origins ?? DEFAULT_ORIGIN_OPTIONS);
    this.onRefused = options.onRefusedUpgrade;
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: options.maxPayload,
      // Returning false accepts without a Sec-WebSocket-Protocol header; see
      // selectSubprotocol for why that is also done for non-STOMP offers.
      handleProtocols: (protocols) => selectSubprotocol(protocols) || false,
    });
  }

  handles(request: IncomingMessage): boolean {
    return this.paths.has(pathnameOf(request.url));
  }

  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const origin = request.headers.origin ?? '';
    const host = request.headers.host ?? '';
    const refusal = this.origins.check(origin, host, isTlsSocket(request.socket));
    if (refusal !== null) {
      answerUpgradeWithHttp(
        socket,
        {
          status: 403,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: refusalBody(refusal, origin),
        },
        false,
      );
      try {
        this.onRefused?.({
          reason: refusal,
          origin,
          host,
          path: pathnameOf(request.url),
          remoteAddress: normaliseAddress(request.socket.remoteAddress),
          transport: 'ws',
        });
      } catch (err) {
        this.onError(err);
      }
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      const connection = new WsConnection(ws, socket, request, this.highWaterMark, this.onError);
      try {
        connection.handler = this.acceptor.accept(connection);
      } catch (err) {
        this.onError(err);
        connection.destroy();
      }
    });
  }

  close(): Promise<void> {
    // With noServer + clientTracking off this only marks the server closed;
    // live connections are untouched.
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}

/**
 * HTTP + STOMP-over-WebSocket on one port with node:http and `ws`: plain
 * requests go to httpHandler; upgrades on `paths` become Connections; upgrade
 * requests on other paths are answered by httpHandler too (typically 404).
 * With `options.tls` it is https + wss; see listenWss.
 */
export function listenWs(
  options: WsListenOptions,
  acceptor: ConnectionAcceptor,
  httpHandler: HttpHandler,
): Promise<Listener> {
  return listenWsServer(options, acceptor, httpHandler);
}

/**
 * HTTPS + STOMP over secure WebSocket (`wss://`) on one port, with node:https
 * and `ws`. The certificate can be swapped while running (reloadTls, through
 * tls.Server.setSecureContext): new connections get the new one, established
 * ones are untouched. With requestClientCert the verified client certificate
 * shows on each Connection (peerCertificate).
 */
export function listenWss(
  options: WsListenOptions & { tls: TlsServerOptions },
  acceptor: ConnectionAcceptor,
  httpHandler: HttpHandler,
): Promise<SecureListener> {
  return listenWsServer(options, acceptor, httpHandler) as Promise<SecureListener>;
}

function listenWsServer(
  options: WsListenOptions,
  acceptor: ConnectionAcceptor,
  httpHandler: HttpHandler,
): Promise<Listener | SecureListener> {
  const onError = options.onError ?? defaultErrorReporter;
  const upgrader = new WsUpgrader(options, acceptor);
  const maxBody = options.maxHttpBodyBytes ?? DEFAULT_MAX_HTTP_BODY_BYTES;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void =>
    serveHttp(httpHandler, req, res, maxBody, onError);
  const tls = options.tls;
  const server: HttpServer | HttpsServer = tls
    ? createHttpsServer(
        {
          ...secureContextOptions(tls.material),
          requestCert: tls.requestClientCert,
          rejectUnauthorized: tls.requestClientCert && tls.rejectUnauthorized,
          noDelay: true,
        },
        onRequest,
      )
    : createServer({ noDelay: true }, onRequest);
  if (tls) {
    server.on('tlsClientError', (err: Error, socket: { remoteAddress?: string }) => {
      tls.onTlsError?.(err, normaliseAddress(socket.remoteAddress));
    });
  }
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (upgrader.handles(request)) {
      upgrader.upgrade(request, socket, head);
    } else {
      runHttpHandler(httpHandler, toRequestInfo(request, EMPTY_BODY), onError, (response) =>
        answerUpgradeWithHttp(socket, response, request.method === 'HEAD'),
      );
    }
  });
  // Malformed requests ('clientError') keep node's default handling: a 400
  // response, or a quiet destroy after ECONNRESET.

  return listenNodeServer(server, options.host, options.port, onError).then((port) => {
    const listener: Listener = {
      host: options.host,
      port,
      close: closeOnce(async () => {
        // Stops listening and closes idle keep-alive HTTP connections; we do
        // not wait for the rest (upgraded sockets belong to their sessions).
        server.close();
        await upgrader.close();
      }),
    };
    if (!tls) return listener;
    const secure: SecureListener = {
      ...listener,
      reloadTls: async (material) => {
        // Throws (keeping the old context) when the material is unusable.
        (server as HttpsServer).setSecureContext(secureContextOptions(material));
      },
    };
    return secure;
  });
}

/**
 * Mount STOMP-over-WebSocket on an existing http(s) server. Only upgrade
 * requests on `paths` are touched; normal requests and other upgrade paths are
 * left to the server's other listeners (e.g. another WebSocket library). If
 * there is no other 'upgrade' listener, a request for another path is refused
 * with 404 rather than left hanging.
 */
export function attachWs(
  server: HttpServer | HttpsServer,
  options: WsAttachOptions,
  acceptor: ConnectionAcceptor,
): WsAttachment {
  const upgrader = new WsUpgrader(options, acceptor);
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (upgrader.handles(request)) {
      upgrader.upgrade(request, socket, head);
    } else if (server.listenerCount('upgrade') === 1) {
      answerUpgradeWithHttp(
        socket,
        { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found\n' },
        false,
      );
    }
  };
  server.on('upgrade', onUpgrade);
  let closed = false;
  return {
    close: async () => {
      if (closed) return;
      closed = true;
      server.off('upgrade', onUpgrade);
      await upgrader.close();
    },
  };
}
