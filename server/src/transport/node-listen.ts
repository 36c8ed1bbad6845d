import type { Server } from 'node:net';
import type { TransportErrorReporter } from './common.js';

/**
 * Bind a node server (net, tls, http and https servers are all net.Server)
 * and resolve with the bound port. A bind failure rejects; accept failures
 * after that (EMFILE…) are reported and the server keeps running.
 */
export function listenNodeServer(
  server: Server,
  host: string,
  port: number,
  onError: TransportErrorReporter,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', (err) => onError(err));
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** A Listener's close(): runs `close` the first time only, as callers may close twice (shutdown, then cleanup). */
export function closeOnce(close: () => Promise<void> | void): () => Promise<void> {
  let closed = false;
  return async () => {
    if (closed) return;
    closed = true;
    await close();
  };
}
