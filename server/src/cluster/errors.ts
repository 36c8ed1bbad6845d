/** Stable codes of what the cluster layer refuses or fails at. */
export type ClusterErrorCode = 'redis-unavailable' | 'cluster-start-failed' | 'node-id-taken';

/**
 * A request that needs Redis while Redis cannot be reached, or a node that
 * cannot join its cluster. `message` is short; `detail` says what to do
 * (the session turns it into an ERROR frame, the CLI into one line).
 */
export class ClusterError extends Error {
  readonly code: ClusterErrorCode;
  readonly detail: string;

  constructor(code: ClusterErrorCode, message: string, detail?: string) {
    super(message);
    this.name = 'ClusterError';
    this.code = code;
    this.detail = detail ?? message;
  }
}

export function redisUnavailable(what: string, reason: string): ClusterError {
  return new ClusterError(
    'redis-unavailable',
    'Redis is unavailable',
    `This broker node shares ${what} with the rest of its cluster through Redis, which it cannot reach ` +
      `right now (${reason}). The message was NOT accepted. Send it again later: the node reconnects ` +
      'to Redis by itself.',
  );
}
