import type { Redis } from 'ioredis';

/** Take a client-id for this node unless another node holds it; returns the holder (null when taken here). */
const CLAIM = `local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[1] then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

/** Let go of a client-id only if this node holds it. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

interface Scripted {
  claimClientId(key: string, node: string, ttl: number): Promise<string | null>;
  releaseClientId(key: string, node: string): Promise<number>;
}

/**
 * One live connection per client-id in the whole cluster: a key
 * `<prefix>cid:<client-id>` names the node whose connection uses it. It is
 * deleted when that connection ends and refreshed with the node's
 * heartbeat, with the node's TTL, so a node that dies (kill -9) frees its
 * client-ids when its registration expires.
 */
export class ClientIdRegistry {
  private readonly redis: Redis & Scripted;
  private readonly prefix: string;
  private readonly nodeId: string;
  private readonly ttlMs: number;

  constructor(redis: Redis, prefix: string, nodeId: string, ttlMs: number) {
    redis.defineCommand('claimClientId', { numberOfKeys: 1, lua: CLAIM });
    redis.defineCommand('releaseClientId', { numberOfKeys: 1, lua: RELEASE });
    this.redis = redis as Redis & Scripted;
    this.prefix = prefix;
    this.nodeId = nodeId;
    this.ttlMs = ttlMs;
  }

  private key(clientId: string): string {
    return `${this.prefix}cid:${clientId}`;
  }

  /** Take `clientId` for a connection of this node; resolves with the node that holds it instead, or null. */
  claim(clientId: string): Promise<string | null> {
    return this.redis.claimClientId(this.key(clientId), this.nodeId, this.ttlMs);
  }

  release(clientId: string): Promise<number> {
    return this.redis.releaseClientId(this.key(clientId), this.nodeId);
  }

  /**
   * Keep this node's client-ids alive (every heartbeat). One taken by another
   * node meanwhile (after an outage longer than the TTL) is left to it.
   */
  async refresh(clientIds: Iterable<string>): Promise<void> {
    const pipeline = this.redis.pipeline() as ReturnType<Redis['pipeline']> & {
      claimClientId(key: string, node: string, ttl: number): unknown;
    };
    let count = 0;
    for (const id of clientIds) {
      pipeline.claimClientId(this.key(id), this.nodeId, this.ttlMs);
      count++;
    }
    if (count > 0) await pipeline.exec();
  }
}
