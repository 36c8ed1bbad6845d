/**
 * Raw STOMP over TCP (the ActiveMQ-style port). adaptSocket() turns any
 * connected net.Socket into a Connection so node:tls (whose TLSSocket is a
 * net.Socket) can reuse it unchanged: for a TLSSocket the Connection reports
 * `secure: true` and the verified client certificate, if any (see tls.ts).
 */
import { createServer, type Socket } from 'node:net';
import { normaliseAddress } from './address.js';
import {
  DEFAULT_HIGH_WATER_MARK,
  defaultErrorReporter,
  notifyClosed,
  type TransportErrorReporter,
} from './common.js';
import type {
  Connection,
  ConnectionAcceptor,
  ConnectionHandler,
  Listener,
  PeerCertificate,
  TransportKind,
} from './connection.js';
import { closeOnce, listenNodeServer } from './node-listen.js';
import { isTlsSocket, verifiedPeerCertificate } from './tls-material.js';
import { TurnCork } from './turn-cork.js';

/** TCP keep-alive probe delay. Liveness proper is STOMP heart-beating; this reaps dead peers. */
const KEEPALIVE_INITIAL_DELAY_MS = 60_000;
const DEFAULT_END_TIMEOUT_MS = 10_000;

export interface SocketAdapterOptions {
  /**
   * send() returns false while more than this many bytes are queued. Default
   * 1 MiB. Raised to the socket's own writableHighWaterMark if lower, so the
   * socket's 'drain' event is guaranteed to follow a false.
   */
  highWaterMark?: number;
  /** Reports throws from the acceptor/handlers. Default: console.error. */
  onError?: TransportErrorReporter;
  /**
   * After end(), how long to wait for the peer to close its side before
   * destroying the socket, ms. Default 10 000.
   */
  endTimeoutMs?: number;
  /** Reported as Connection.transport. Default 'tcp'. */
  transport?: TransportKind;
}

export interface TcpListenOptions extends SocketAdapterOptions {
  host: string;
  /** 0 picks an ephemeral port; Listener.port reports the bound one. */
  port: number;
}

class SocketConnection implements Connection {
  readonly transport: TransportKind;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly subprotocol = '';
  readonly secure: boolean;
  readonly peerCertificate: PeerCertificate | undefined;
  handler: ConnectionHandler | undefined;

  private closed = false;
  private ending = false;
  private needDrain = false;
  private endTimer: NodeJS.Timeout | undefined;
  /** Corks the socket for the rest of the turn from its first write (one writev per turn). */
  private readonly cork: TurnCork;
  private readonly highWaterMark: number;
  private readonly endTimeoutMs: number;
  private readonly onError: TransportErrorReporter;

  constructor(
    private readonly socket: Socket,
    options: SocketAdapterOptions,
  ) {
    this.transport = options.transport ?? 'tcp';
    this.remoteAddress = normaliseAddress(socket.remoteAddress);
    this.remotePort = socket.remotePort ?? 0;
    this.cork = new TurnCork(socket);
    this.secure = isTlsSocket(socket);
    this.peerCertificate = isTlsSocket(socket) ? verifiedPeerCertificate(socket) : undefined;
    this.highWaterMark = Math.max(
      options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK,
      socket.writableHighWaterMark,
    );
    this.endTimeoutMs = options.endTimeoutMs ?? DEFAULT_END_TIMEOUT_MS;
    this.onError = options.onError ?? defaultErrorReporter;

    // Nagle + delayed ACK adds a flat ~10 ms to small request/response frames.
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_INITIAL_DELAY_MS);
    socket.on('data', (chunk: Buffer) => this.handleData(chunk));
    // Our high-water mark is >= the socket's, so a false from send() means
    // socket.write() returned false too and 'drain' will follow.
    socket.on('drain', () => this.handleDrain());
    // ECONNRESET, EPIPE, …: always followed by 'close', which is what we report.
    socket.on('error', () => {});
    socket.on('close', () => this.handleClose());
    if (socket.destroyed) {
      // Already gone (e.g. reset during a TLS handshake): 'close' may have
      // been emitted before we listened.
      process.nextTick(() => this.handleClose());
    }
  }

  get bufferedAmount(): number {
    return this.closed ? 0 : this.socket.writableLength;
  }

  send(data: Uint8Array): boolean {
    if (this.ending || this.closed) return false;
    // Corked until the end of the turn: every frame written in it leaves in
    // one writev (a queue delivering a burst to a consumer, a fan-out).
    this.cork.hold();
    // node:net keeps a reference to `data` until it is written: the caller
    // must not reuse the array.
    this.socket.write(data);
    this.cork.wrote(data.length);
    // writableLength counts corked bytes too: held frames weigh on the high-water mark.
    if (this.socket.writableLength > this.highWaterMark) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  end(): void {
    if (this.ending || this.closed) return;
    this.ending = true;
    this.cork.release();
    // FIN after the queued data. We keep reading (and discarding) so the
    // peer's close is seen and the kernel never answers unread data with a
    // RST that could wipe our last frames; a peer that never closes is cut off.
    this.socket.end();
    this.endTimer = setTimeout(() => this.socket.destroy(), this.endTimeoutMs);
    this.endTimer.unref();
  }

  destroy(): void {
    if (this.closed) return;
    this.ending = true;
    this.socket.destroy();
  }

  private handleData(chunk: Buffer): void {
    if (this.ending || this.closed || !this.handler) return;
    try {
      this.handler.onData(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  private handleDrain(): void {
    if (!this.needDrain || this.closed || this.ending || !this.handler) return;
    if (this.socket.writableLength > this.highWaterMark) return;
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
    if (this.endTimer) clearTimeout(this.endTimer);
    notifyClosed(this.handler, this, this.onError);
  }

  private fail(err: unknown): void {
    this.onError(err, this);
    this.destroy();
  }
}

/**
 * Turn a connected socket (net.Socket or tls.TLSSocket) into a Connection and
 * hand it to the acceptor. Sets TCP_NODELAY and keep-alive on the socket.
 * Returns the Connection (already accepted), or undefined if accept() threw
 * (reported through onError; the socket is destroyed).
 */
export function adaptSocket(
  socket: Socket,
  acceptor: ConnectionAcceptor,
  options: SocketAdapterOptions = {},
): Connection | undefined {
  const connection = new SocketConnection(socket, options);
  try {
    connection.handler = acceptor.accept(connection);
    return connection;
  } catch (err) {
    (options.onError ?? defaultErrorReporter)(err);
    connection.destroy();
    return undefined;
  }
}

/** Listen for raw STOMP over TCP. */
export function listenTcp(
  options: TcpListenOptions,
  acceptor: ConnectionAcceptor,
): Promise<Listener> {
  const server = createServer(
    {
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: KEEPALIVE_INITIAL_DELAY_MS,
    },
    (socket) => {
      adaptSocket(socket, acceptor, options);
    },
  );
  const onError = options.onError ?? defaultErrorReporter;
  return listenNodeServer(server, options.host, options.port, onError).then((port) => ({
    host: options.host,
    port,
    // Stop accepting; live connections belong to their sessions, so we do
    // not wait for them (server.close's callback would).
    close: closeOnce(() => {
      server.close();
    }),
  }));
}
