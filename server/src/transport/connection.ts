/**
 * The one shape every wire (uWebSockets.js, ws, TCP) is turned into. Nothing
 * above the transport layer sees a socket; it sees a Connection.
 */
import type { TlsMaterial } from './tls-material.js';

/**
 * Which adapter made the Connection. TLS does not get a kind of its own:
 * `stomp+ssl://` is 'tcp' and `wss://` is 'uws' or 'ws', with
 * Connection.secure true. What the layers above decide by kind (e.g. which
 * clients get a resume token) is about the framing and the kind of client,
 * which encryption does not change.
 */
export type TransportKind = 'uws' | 'ws' | 'tcp';

/**
 * A client certificate the TLS layer verified against the configured CA
 * (mutual TLS, `tls.requestClientCert`). Only verified certificates are
 * reported: a certificate that failed verification (allowed through when
 * `tls.rejectUnauthorized` is off) leaves Connection.peerCertificate unset.
 */
export interface PeerCertificate {
  /** The subject's common name (CN), e.g. 'alice'; '' when the subject has none. The auth layer maps it to a user. */
  subject: string;
  /** The whole subject distinguished name, OpenSSL style, one attribute per line: 'C=DE\nO=Acme\nCN=alice'. */
  distinguishedName: string;
  /** SHA-256 fingerprint, colon-separated upper-case hex ('AB:CD:…'), as node:crypto prints it. */
  fingerprint256: string;
}

export interface Connection {
  readonly transport: TransportKind;
  /** Peer IP address as text ('127.0.0.1', '::1'); '' when unknown. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Negotiated WebSocket subprotocol (`v12.stomp`, …); '' for TCP or when none was offered. */
  readonly subprotocol: string;
  /** True when the wire is TLS (`stomp+ssl://`, `wss://`); absent or false for plain TCP/ws. */
  readonly secure?: boolean;
  /**
   * The client certificate the TLS handshake verified (mutual TLS), when
   * `tls.requestClientCert` is on and the client presented a valid one.
   * Undefined otherwise (plain wires, no certificate, or one that failed
   * verification). The auth layer may map `subject` (the CN) to a user.
   */
  readonly peerCertificate?: PeerCertificate;
  /** Bytes accepted by send() but not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /**
   * Queue bytes for the peer. Never drops data. Returns false when the
   * outbound buffer is above the transport's high-water mark, so the caller
   * can hold back until onDrain. `utf8` is what the caller knows of the
   * bytes (true: valid UTF-8, false: not); when it is omitted a WebSocket
   * transport checks them itself, to pick a text or binary message.
   */
  send(data: Uint8Array, utf8?: boolean): boolean;
  /**
   * Optional: send() of the one message `head` followed by `tail`, without
   * the caller joining them into a fresh buffer (the fan-out hot path: a
   * subscription's head plus a message's shared tail). Neither may change
   * afterwards: the transport may hold them until the end of the turn.
   * Transports without it get the joined bytes through send().
   */
  sendParts?(head: Uint8Array, tail: Uint8Array, utf8: boolean): boolean;
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
  /**
   * The request body, read whole by the transport (bounded by its
   * `maxHttpBodyBytes`: a bigger one is answered 413 before the handler
   * runs). Empty for GET and HEAD.
   */
  body: Buffer;
  /** Peer IP address as text; '' when unknown. */
  remoteAddress: string;
}

export interface HttpResponseData {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/**
 * Plain HTTP requests on the WebSocket port (demo pages, the admin API,
 * metrics). May answer at once or later (a promise); a rejected promise or a
 * throw is answered 500 and reported.
 */
export type HttpHandler = (
  request: HttpRequestInfo,
) => HttpResponseData | Promise<HttpResponseData>;

/** Default bound on an HTTP request body the transports read for the handler, bytes. */
export const DEFAULT_MAX_HTTP_BODY_BYTES = 1024 * 1024;

/** A bound server socket. */
export interface Listener {
  readonly host: string;
  readonly port: number;
  /** Stop accepting new connections. Existing connections are left to their owners. */
  close(): Promise<void>;
}

/** A TLS listener (`stomp+ssl://`, `wss://`) whose certificate can be replaced while it runs. */
export interface SecureListener extends Listener {
  /**
   * Serve new connections with this certificate/key/CA from now on;
   * established connections keep theirs. Rejects (keeping the old
   * certificate) when the new one cannot be used.
   */
  reloadTls(material: TlsMaterial): Promise<void>;
}
