/** What a `redis://` URL says: where the shared Redis is and how to log in. */
export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
}

/**
 * Parse `redis://[user:password@]HOST[:PORT][/DB]` or `rediss://…` (TLS).
 * Throws an Error whose message shows the URL with its password masked.
 */
export function parseRedisUrl(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(
      `${maskRedisUrl(url)} is not a URL; expected redis://[user:password@]HOST:PORT[/DB]`,
    );
  }
  const masked = maskRedisUrl(url);
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(
      `${masked} has scheme ${parsed.protocol.replace(/:$/, '')}; expected redis:// (or rediss:// for TLS)`,
    );
  }
  if (parsed.hostname === '') throw new Error(`${masked} names no host`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const path = parsed.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0 || db > 65535) {
    throw new Error(`${masked}: the path must be a database number such as /0 (got /${path})`);
  }
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    tls: parsed.protocol === 'rediss:',
  };
}

/** The URL with any password replaced by `***`, fit for logs and error messages. */
export function maskRedisUrl(url: string): string {
  return url.replace(/^([a-z][\w+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}
