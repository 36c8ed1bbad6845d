/**
 * A WebSocket-shaped adapter over a plain TCP (or TLS) socket, so that
 * @stomp/stompjs, which only knows WebSockets, can speak STOMP over TCP
 * (`stomp://`, `stomp+ssl://`). stompjs still does all the STOMP framing; this
 * only moves bytes and reports open / message / error / close.
 *
 * Why our own ~80 lines rather than @stomp/tcp-wrapper 1.0.1: that package has
 * no TLS (we would subclass it and override `getSocket`, and it would still
 * report "open" on TCP connect, before the TLS handshake and certificate check
 * have finished), hands the raw Node error object to stompjs in a nonstandard
 * field, imports @stomp/stompjs without declaring it, and has had a single
 * release. Owning the adapter keeps TLS, error text and close semantics right.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { IStompSocket } from '@stomp/stompjs';

/** WebSocket readyState values, as stompjs reads them. */
const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** How long `close()` waits for the broker to close its side before dropping the socket. */
const CLOSE_GRACE_MS = 2000;

export interface TcpTarget {
  host: string;
  port: number;
  tls: boolean;
  /** Shown by stompjs in its debug output. */
  url: string;
}

/** The error event handed to `onerror`: `message` is the Node error's text (e.g. "connect ECONNREFUSED …"). */
export interface TcpErrorEvent {
  type: 'error';
  message: string;
  error: Error;
}

export interface TcpCloseEvent {
  type: 'close';
  code: number;
  reason: string;
  wasClean: boolean;
}

type Handler<E> = ((event: E) => void) | null | undefined;

export class TcpStompSocket implements IStompSocket {
  readonly url: string;
  binaryType = 'arraybuffer';
  readyState = CONNECTING;
  onopen: Handler<{ type: 'open' }> = null;
  onmessage: Handler<{ type: 'message'; data: ArrayBuffer }> = null;
  onerror: Handler<TcpErrorEvent> = null;
  onclose: Handler<TcpCloseEvent> = null;
  private readonly socket: Socket;
  private lastError: Error | null = null;

  constructor(target: TcpTarget) {
    this.url = target.url;
    const socket = target.tls
      ? // Node sends SNI and checks the certificate against `host` by default.
        tlsConnect({ host: target.host, port: target.port })
      : netConnect({ host: target.host, port: target.port });
    this.socket = socket;
    socket.setNoDelay(true);
    // For TLS, "open" only once the handshake (and certificate check) is done.
    socket.once(target.tls ? 'secureConnect' : 'connect', () => {
      if (this.readyState !== CONNECTING) return;
      this.readyState = OPEN;
      this.onopen?.({ type: 'open' });
    });
    socket.on('data', (chunk: Buffer) => {
      // stompjs's parser takes a string or an ArrayBuffer; hand it exactly this chunk's bytes.
      const data = chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength);
      this.onmessage?.({ type: 'message', data: data as ArrayBuffer });
    });
    socket.on('error', (error: Error) => {
      this.lastError = error;
      this.onerror?.({ type: 'error', message: error.message, error });
    });
    socket.on('close', (hadError: boolean) => {
      this.readyState = CLOSED;
      this.onclose?.({
        type: 'close',
        code: hadError ? 1006 : 1000,
        reason: this.lastError?.message ?? '',
        wasClean: !hadError,
      });
    });
  }

  send(data: string | ArrayBufferLike | ArrayBufferView): void {
    if (this.readyState !== OPEN) return;
    if (typeof data === 'string') this.socket.write(data);
    else if (ArrayBuffer.isView(data))
      this.socket.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    else this.socket.write(Buffer.from(data));
  }

  /** Half-close and let the broker close its side; drop the socket if it does not in time. */
  close(): void {
    if (this.readyState === CLOSING || this.readyState === CLOSED) return;
    this.readyState = CLOSING;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Drop the connection now (stompjs's `discardWebsocket`). */
  terminate(): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSING;
    this.socket.destroy();
  }
}
