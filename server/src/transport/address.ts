/**
 * Peer-address normalisation shared by the transports.
 *
 * Sockets on dual-stack listeners report IPv4 peers as IPv4-mapped IPv6
 * ('::ffff:127.0.0.1'), and uWebSockets.js prints IPv6 in full, uncompressed
 * form ('0000:0000:0000:0000:0000:ffff:7f00:0001'). Everything above the
 * transport sees the plain form: '127.0.0.1', '::1'.
 */
import { isIPv4, isIPv6 } from 'node:net';

export function normaliseAddress(raw: string | undefined): string {
  if (!raw) return '';
  const address = raw.trim();
  if (address === '' || isIPv4(address) || !isIPv6(address)) return address;
  let canonical: string;
  try {
    // The WHATWG URL parser prints IPv6 in canonical RFC 5952 form
    // (compressed, lower case). Zone ids ('fe80::1%eth0') make it throw: keep
    // those as they came.
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
  // IPv4-mapped (::ffff:a.b.c.d), which the parser prints as '::ffff:7f00:1'.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped) {
    const high = Number.parseInt(mapped[1]!, 16);
    const low = Number.parseInt(mapped[2]!, 16);
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  return canonical;
}
