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

import type { AppOptions, TemplatedApp, us_listen_socket, us_socket } from 'uWebSockets.js';
import { createServer as createNetServer } from 'node:net';
import { normaliseAddress } from './address.js';
import {
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_WS_PATHS,
  defaultErrorReporter,
  type TransportErrorReporter,
} from './common.js';
import {
  type ConnectionAcceptor,
  DEFAULT_MAX_HTTP_BODY_BYTES,
  type HttpHandler,
  type Listener,
  type SecureListener,
} from './connection.js';
import {
  DEFAULT_ORIGIN_OPTIONS,
  type OriginOptions,
  OriginPolicy,
  type RefusedUpgradeReporter,
  refusalBody,
} from './origin.js';
import { negotiateSubprotocol } from './subprotocol.js';
import type { TlsMaterial } from './tls-material.js';
import { type SocketState, UwsConnection } from './uws-connection.js';
import { guarded, serveHttp, writeResponse } from './uws-http.js';
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
