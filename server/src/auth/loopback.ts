import { isIPv4, isIPv6 } from 'node:net';

/**
 * Whether listening on `host` reaches only this machine: `localhost`,
 * 127.0.0.0/8, `::1` (and IPv4-mapped loopback). Anything else, including
 * 0.0.0.0, `::` and other names, may be reachable from the network.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (isIPv6(h)) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}
