/**
 * WebSocket `Origin` allow-list, shared by the uWS and ws adapters.
 *
 * Why: browsers let any web page open a WebSocket to any host, sending the
 * user's cookies and client certificate along (cross-site WebSocket
 * hijacking). The one thing the page cannot forge is the `Origin` header the
 * browser adds, so the broker refuses upgrades from origins it does not know.
 *
 * Allowed:
 * - the broker's own pages (same origin): an Origin equal to the request's
 *   `Host` header with the listener's scheme (http on ws://, https on wss://);
 * - the configured `origins.allowed` entries: exact origins
 *   ('https://app.example.com', 'http://localhost:3000'), a leading wildcard
 *   ('https://*.example.com' matches any subdomain, at any depth, but not
 *   example.com itself; scheme and port must match), '*' for any origin, and
 *   'null' for the opaque origin of sandboxed frames and file:// pages;
 * - no Origin header at all, unless `origins.allowMissing` is false. Native
 *   clients (stomp.py, Java, Node's `ws`, curl) send none; they are not
 *   browsers and no third-party page can drive them, so the header protects
 *   nobody there. Set allowMissing false when only browsers should connect.
 *
 * Behind a reverse proxy that terminates TLS, the browser's origin is
 * https://… while the broker's listener is plain http: list the public origin
 * in `origins.allowed`.
 */

/** Why an upgrade was refused; the label of stompede_refused_upgrades_total. */
export type UpgradeRefusalReason = 'origin' | 'missing-origin';

/** What a transport reports about a refused WebSocket upgrade. */
export interface RefusedUpgrade {
  reason: UpgradeRefusalReason;
  /** The Origin header ('' when missing). */
  origin: string;
  /** The Host header ('' when missing). */
  host: string;
  /** Request path ('/stomp'). */
  path: string;
  remoteAddress: string;
  transport: 'uws' | 'ws';
}

/** Called once per refused upgrade (the broker logs it and bumps a counter). */
export type RefusedUpgradeReporter = (refused: RefusedUpgrade) => void;

export interface OriginOptions {
  /** Extra allowed origins: exact, 'scheme://*.domain[:port]', '*', or 'null'. */
  allowed: readonly string[];
  /** Accept upgrades that carry no Origin header (non-browser clients). */
  allowMissing: boolean;
}

export const DEFAULT_ORIGIN_OPTIONS: OriginOptions = { allowed: [], allowMissing: true };

interface WildcardPattern {
  protocol: string;
  /** '.example.com' */
  suffix: string;
  port: string;
}

/**
 * `scheme://host[:port]` in canonical form (lower case, default port
 * dropped), or undefined when it is not an origin (path, query, unparsable).
 */
export function canonicalOrigin(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return undefined;
  }
  if (url.host === '' || url.username !== '' || url.password !== '') return undefined;
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    return undefined;
  }
  // A trailing '/' is tolerated in configured entries ('https://a.example/'), never sent by browsers.
  return `${url.protocol}//${url.host}`.toLowerCase();
}

function parseWildcard(pattern: string): WildcardPattern | undefined {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)\*\.(.+)$/i.exec(pattern.trim());
  if (!match) return undefined;
  // Parse with a placeholder label so the URL parser canonicalises case,
  // IDN and the default port as it does for the origins we compare with.
  let url: URL;
  try {
    url = new URL(`${match[1]}wildcard-label.${match[2]}`);
  } catch {
    return undefined;
  }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    return undefined;
  }
  const hostname = url.hostname.toLowerCase();
  if (!hostname.startsWith('wildcard-label.')) return undefined;
  return {
    protocol: url.protocol.toLowerCase(),
    suffix: hostname.slice('wildcard-label'.length),
    port: url.port,
  };
}

/**
 * Why an entry of origins.allowed is not usable, or undefined when it is.
 * Used by config validation (through the broker) and by OriginPolicy.
 */
export function originPatternError(pattern: string): string | undefined {
  if (typeof pattern !== 'string') return 'must be a string';
  const p = pattern.trim();
  if (p === '*' || p === 'null') return undefined;
  if (p.includes('*')) {
    return parseWildcard(p)
      ? undefined
      : "a wildcard is only allowed as the first label of the host, as in 'https://*.example.com'";
  }
  return canonicalOrigin(p)
    ? undefined
    : "must be an origin such as 'https://app.example.com' (scheme, host and optional port; no path)";
}

/** Decides whether a WebSocket upgrade's Origin is acceptable. */
export class OriginPolicy {
  private readonly anyOrigin: boolean;
  private readonly allowNull: boolean;
  private readonly exact = new Set<string>();
  private readonly wildcards: WildcardPattern[] = [];
  readonly allowMissing: boolean;

  /** Throws when an entry of `allowed` is not a valid pattern (see originPatternError). */
  constructor(options: OriginOptions = DEFAULT_ORIGIN_OPTIONS) {
    this.allowMissing = options.allowMissing;
    let anyOrigin = false;
    let allowNull = false;
    for (const entry of options.allowed) {
      const error = originPatternError(entry);
      if (error !== undefined) throw new Error(`origins.allowed entry '${entry}' ${error}`);
      const p = entry.trim();
      if (p === '*') anyOrigin = true;
      else if (p === 'null') allowNull = true;
      else if (p.includes('*')) this.wildcards.push(parseWildcard(p)!);
      else this.exact.add(canonicalOrigin(p)!);
    }
    this.anyOrigin = anyOrigin;
    this.allowNull = allowNull;
  }

  /**
   * null when the upgrade may proceed, else why not. `origin` and `host` are
   * the request's headers (undefined or '' when absent); `secure` says
   * whether the listener is TLS (the scheme of the broker's own origin).
   */
  check(
    origin: string | undefined,
    host: string | undefined,
    secure: boolean,
  ): UpgradeRefusalReason | null {
    const raw = origin?.trim() ?? '';
    if (raw === '') return this.allowMissing ? null : 'missing-origin';
    if (this.anyOrigin) return null;
    if (raw.toLowerCase() === 'null') return this.allowNull ? null : 'origin';
    const canonical = canonicalOrigin(raw);
    if (canonical === undefined) return 'origin';
    if (host) {
      const own = canonicalOrigin(`${secure ? 'https' : 'http'}://${host.trim()}`);
      if (own !== undefined && own === canonical) return null;
    }
    if (this.exact.has(canonical)) return null;
    if (this.wildcards.length > 0) {
      const url = new URL(canonical);
      const hostname = url.hostname;
      for (const w of this.wildcards) {
        if (
          url.protocol === w.protocol &&
          url.port === w.port &&
          hostname.length > w.suffix.length &&
          hostname.endsWith(w.suffix)
        ) {
          return null;
        }
      }
    }
    return 'origin';
  }
}

/** Body of the 403 answer to a refused upgrade. */
export function refusalBody(reason: UpgradeRefusalReason, origin: string): string {
  return reason === 'missing-origin'
    ? 'Forbidden: WebSocket upgrades without an Origin header are not accepted here.\n'
    : `Forbidden: WebSocket connections from origin ${JSON.stringify(origin)} are not allowed (see origins.allowed).\n`;
}
