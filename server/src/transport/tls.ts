/**
 * Raw STOMP over TLS (`stomp+ssl://`, ActiveMQ's port 61612): node:tls in
 * front of the TCP adapter. Each TLSSocket goes through adaptSocket, so the
 * Connection is the same as plain TCP ('tcp' kind) plus `secure: true` and,
 * with client certificates, the verified peerCertificate.
 *
 * The connection is handed over only after the handshake ('secureConnection'),
 * so with rejectUnauthorized a client without a valid certificate never
 * reaches the session layer.
 */
import { createServer } from 'node:tls';
import { normaliseAddress } from './address.js';
import { defaultErrorReporter } from './common.js';
import type { ConnectionAcceptor, SecureListener } from './connection.js';
import { closeOnce, listenNodeServer } from './node-listen.js';
import { adaptSocket, type TcpListenOptions } from './tcp.js';
import { secureContextOptions, type TlsServerOptions } from './tls-material.js';

/** TCP keep-alive probe delay, as for plain TCP. */
const KEEPALIVE_INITIAL_DELAY_MS = 60_000;

export interface TlsListenOptions extends TcpListenOptions {
  tls: TlsServerOptions;
}

/** Listen for raw STOMP over TLS. The certificate can be replaced with reloadTls(). */
export function listenTls(
  options: TlsListenOptions,
  acceptor: ConnectionAcceptor,
): Promise<SecureListener> {
  const { tls } = options;
  const onError = options.onError ?? defaultErrorReporter;
  const server = createServer(
    {
      ...secureContextOptions(tls.material),
      requestCert: tls.requestClientCert,
      rejectUnauthorized: tls.requestClientCert && tls.rejectUnauthorized,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: KEEPALIVE_INITIAL_DELAY_MS,
    },
    (socket) => {
      adaptSocket(socket, acceptor, { ...options, transport: 'tcp' });
    },
  );
  // Handshake failures (no/bad client certificate under rejectUnauthorized,
  // plain-text clients on the TLS port, scanners): the socket is already
  // destroyed by node; we only tell.
  server.on('tlsClientError', (err, socket) => {
    tls.onTlsError?.(err, normaliseAddress(socket.remoteAddress));
  });
  return listenNodeServer(server, options.host, options.port, onError).then((port) => ({
    host: options.host,
    port,
    // Stop accepting; live connections belong to their sessions.
    close: closeOnce(() => {
      server.close();
    }),
    reloadTls: async (material) => {
      // New handshakes use the new context; established sessions keep
      // theirs. Throws (keeping the old one) when it is unusable.
      server.setSecureContext(secureContextOptions(material));
    },
  }));
}
