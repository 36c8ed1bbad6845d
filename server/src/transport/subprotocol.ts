/**
 * STOMP-over-WebSocket subprotocol negotiation, shared by the uWS and ws adapters.
 *
 * Clients list the subprotocols they speak in `Sec-WebSocket-Protocol`
 * (comma-separated); the server echoes at most one of them back.
 */

/** The subprotocols we speak, in our order of preference (newest STOMP first). */
export const STOMP_SUBPROTOCOLS: readonly string[] = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

/** Split a `Sec-WebSocket-Protocol` header value into its tokens ('' → []). */
export function parseSubprotocolOffer(header: string | undefined): string[] {
  if (!header) return [];
  const offered: string[] = [];
  for (const part of header.split(',')) {
    const token = part.trim();
    if (token !== '') offered.push(token);
  }
  return offered;
}

/**
 * Pick the subprotocol to answer with: the first of STOMP_SUBPROTOCOLS (our
 * preference, not the client's order) that the client offered. Tokens are
 * matched case-insensitively but the client's own spelling is returned,
 * because clients compare the answer byte-for-byte with what they offered.
 *
 * Returns '' when nothing matches. Callers then accept the upgrade WITHOUT a
 * `Sec-WebSocket-Protocol` header, both when the client offered nothing (plain
 * WebSocket clients, old stomp.js) and when it offered only protocols that are
 * not ours. In the second case RFC 6455 §4.1 makes the *client* fail the
 * connection (browsers and `ws` do), which gives the client the standard
 * error rather than an opaque HTTP 400 from us; lenient clients that carry on
 * anyway get a STOMP broker, which is all we are.
 */
export function selectSubprotocol(offered: Iterable<string>): string {
  let best = '';
  let bestRank = STOMP_SUBPROTOCOLS.length;
  for (const token of offered) {
    const rank = STOMP_SUBPROTOCOLS.indexOf(token.trim().toLowerCase());
    if (rank !== -1 && rank < bestRank) {
      best = token.trim();
      bestRank = rank;
    }
  }
  // Our own copy when the spelling matches: every connection keeps this string.
  return bestRank < STOMP_SUBPROTOCOLS.length && best === STOMP_SUBPROTOCOLS[bestRank]
    ? STOMP_SUBPROTOCOLS[bestRank]!
    : best;
}

/** parseSubprotocolOffer + selectSubprotocol. */
export function negotiateSubprotocol(header: string | undefined): string {
  return selectSubprotocol(parseSubprotocolOffer(header));
}
