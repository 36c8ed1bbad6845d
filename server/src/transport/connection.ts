/**
 * The one shape every wire (uWebSockets.js, ws, TCP) is turned into. Nothing
 * above the transport layer sees a socket; it sees a Connection.
 */
export type TransportKind = 'uws' | 'ws' | 'tcp';

export interface Connection {
  readonly transport: TransportKind;
  /** Peer IP address as text ('127.0.0.1', '::1'); '' when unknown. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Negotiated WebSocket subprotocol (`v12.stomp`, …); '' for TCP or when none was offered. */
  readonly subprotocol: string;
  /** Bytes accepted by send() but not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /**
   * Queue bytes for the peer. Never drops data. Returns false when the
   * outbound buffer is above the transport's high-water mark, so the caller
   * can hold back until onDrain.
   */
  send(data: Uint8Array): boolean;
  /** Flush what is queued, then close. Idempotent. */
  end(): void;
  /** Close at once, dropping anything still queued. Idempotent. */
  destroy(): void;
}

/** Callbacks a transport drives for one connection. */
export interface ConnectionHandler {
  /** Bytes from the peer. The chunk is only valid during the call: copy what you keep. */
  onData(chunk: Uint8Array): void;
  /** The outbound buffer fell below the high-water mark after send() returned false. */
  onDrain(): void;
  /** The connection is gone (either side closed it, or it failed). Called exactly once. */
  onClose(): void;
}

/** What the layer above gives a transport: it turns each new Connection into a handler. */
export interface ConnectionAcceptor {
  accept(connection: Connection): ConnectionHandler;
}

export interface HttpRequestInfo {
  method: string;
  /** Path and query, e.g. `/index.html?x=1`. */
  url: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
}

export interface HttpResponseData {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** Plain HTTP requests on the WebSocket port (demo pages, later the admin API). */
export type HttpHandler = (request: HttpRequestInfo) => HttpResponseData;

/** A bound server socket. */
export interface Listener {
  readonly host: string;
  readonly port: number;
  /** Stop accepting new connections. Existing connections are left to their owners. */
  close(): Promise<void>;
}
