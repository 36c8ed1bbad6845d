/** --target parsing and the loopback-only rule. */
import net from 'node:net';

/** True for 127.0.0.0/8, ::1 (and ::ffff:127.x), and the name localhost. */
export function isLoopbackHost(host) {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.split('.')[0] === '127';
  if (net.isIPv6(h)) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
    const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return m !== null && m[1].split('.')[0] === '127';
  }
  return false;
}

/**
 * Parse `stomp://127.0.0.1:61613` or `ws://127.0.0.1:15674/ws`.
 * Returns { kind: 'tcp'|'ws', host, port, path } or throws with a readable message.
 */
export function parseTarget(text) {
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new Error(
      `--target '${text}' is not a URL; use stomp://127.0.0.1:PORT or ws://127.0.0.1:PORT/PATH`,
    );
  }
  const scheme = url.protocol.replace(/:$/, '');
  let kind;
  if (scheme === 'stomp' || scheme === 'tcp') kind = 'tcp';
  else if (scheme === 'ws') kind = 'ws';
  else
    throw new Error(
      `--target scheme '${scheme}' is not supported; use stomp:// (STOMP over TCP) or ws:// (STOMP over WebSocket; no wss://)`,
    );
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!isLoopbackHost(host)) {
    throw new Error(
      `--target host '${host}' is not a loopback address. This load generator only drives brokers on this ` +
        'machine (127.0.0.0/8, ::1 or localhost): it opens thousands of connections and saturates the target, ' +
        'which is not something to point at another machine.',
    );
  }
  const port = Number(url.port || (kind === 'tcp' ? 61613 : 80));
  return {
    kind,
    host: host === 'localhost' ? '127.0.0.1' : host,
    port,
    path: kind === 'ws' ? url.pathname || '/' : '',
  };
}
