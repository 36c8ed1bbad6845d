import { Redis } from 'ioredis';
import { ClusterError } from './errors.js';
import { maskRedisUrl, parseRedisUrl } from './redis-url.js';

/** Oldest Redis with everything the bus uses (XPENDING … IDLE, XCLAIM of deleted entries returning nothing). */
const MIN_REDIS = [6, 2];
/** Reconnect back-off ceiling once running: a Redis that comes back is used within this long. */
const MAX_RECONNECT_DELAY_MS = 1000;

export interface RedisConnectOptions {
  connectTimeoutMs: number;
  /** Shown in CLIENT LIST, to tell the nodes' connections apart. */
  connectionName: string;
  /**
   * Queue commands while disconnected (the pub/sub connection: its SUBSCRIBEs
   * wait for the reconnect) or fail them at once (the command connection:
   * a SEND during an outage must get its ERROR now, not hang).
   */
  queueWhileDown: boolean;
}

/**
 * Connect to the cluster's Redis, failing fast: the first failure (refused,
 * unknown host, bad password, timeout, too old a Redis) is thrown as a
 * ClusterError naming the URL (password masked) and the reason. Once
 * connected, the client reconnects by itself forever.
 */
export async function connectRedis(url: string, options: RedisConnectOptions): Promise<Redis> {
  const target = parseRedisUrl(url);
  const masked = maskRedisUrl(url);
  let starting = true;
  let lastError: Error | null = null;
  const client = new Redis({
    host: target.host,
    port: target.port,
    db: target.db,
    username: target.username,
    password: target.password,
    tls: target.tls ? { servername: target.host } : undefined,
    connectionName: options.connectionName,
    lazyConnect: true,
    // Commands issued in one tick go out in one write: measured, one write per PUBLISH made fan-out
    // across nodes syscall-bound (bench/cluster.mjs).
    enableAutoPipelining: true,
    connectTimeout: options.connectTimeoutMs,
    enableOfflineQueue: options.queueWhileDown,
    // Commands are never retried behind the caller's back: a failure is reported, and the caller decides.
    maxRetriesPerRequest: options.queueWhileDown ? null : 0,
    retryStrategy: (times) => (starting ? null : Math.min(times * 100, MAX_RECONNECT_DELAY_MS)),
  });
  const onError = (err: Error): void => {
    lastError = err;
  };
  client.on('error', onError);
  try {
    await client.connect();
    const info = await client.info('server');
    const version = /redis_version:([\d.]+)/.exec(info)?.[1] ?? '0';
    const [major = 0, minor = 0] = version.split('.').map(Number);
    if (major < MIN_REDIS[0]! || (major === MIN_REDIS[0] && minor < MIN_REDIS[1]!)) {
      throw new Error(
        `Redis ${version} is too old: the cluster needs Redis ${MIN_REDIS.join('.')} or newer`,
      );
    }
  } catch (err) {
    client.disconnect();
    const reason = describe(lastError ?? (err as Error), (err as Error).message);
    throw new ClusterError(
      'cluster-start-failed',
      `cannot use Redis at ${masked}: ${reason}`,
      `Check --cluster (cluster.url): is Redis running at ${target.host}:${target.port}, and are the user and password right?`,
    );
  }
  starting = false;
  return client;
}

function describe(err: Error, fallback: string): string {
  const message = err.message || fallback;
  // ioredis says "Connection is closed." when its retry strategy gives up; the socket error before it says why.
  return message === 'Connection is closed.' ? fallback : message;
}
