import type { ClusterLink } from './cluster-link.js';
import type { DurableSubscriptions } from './durable.js';
import { BrokerError } from './errors.js';

/**
 * Which live connection holds each client-id: claimed at CONNECT, released
 * when the connection ends. Durable subscriptions pin a client-id to the
 * user who made them; a cluster shares the claims through Redis.
 */
export class ClientIdClaims {
  /** client-id → ownerId of the connection holding it. */
  private readonly holders = new Map<string, string>();

  constructor(
    private readonly durables: DurableSubscriptions,
    private readonly cluster: () => ClusterLink | null,
  ) {}

  /**
   * One live connection per client-id (ActiveMQ rule): a second claim is
   * refused. A client-id whose durable subscriptions an authenticated user
   * created is bound to that user (it survives restarts with them): `user`
   * ('' for anonymous) must be that user. In a cluster the client-id is
   * also claimed in Redis: the returned promise rejects when a connection
   * on another node holds it (null on a single node).
   */
  claim(clientId: string, ownerId: string, user = ''): Promise<void> | null {
    const bound = this.durables.ownerOfClientId(clientId);
    if (bound !== '' && bound !== user) {
      throw new BrokerError(
        'not-authorized',
        `client-id ${clientId.slice(0, 80)} belongs to another user`,
        `The client-id '${clientId.slice(0, 80)}' holds durable subscriptions of another user, so only that user ` +
          'may connect with it. Choose a client-id of your own.',
      );
    }
    const holder = this.holders.get(clientId);
    if (holder !== undefined && holder !== ownerId) {
      throw new BrokerError(
        'duplicate-subscription',
        `client-id ${clientId.slice(0, 80)} is already connected`,
        `Another live connection uses client-id '${clientId.slice(0, 80)}'. Each connection needs its own ` +
          'client-id; close the other connection first, or choose a different client-id.',
      );
    }
    this.holders.set(clientId, ownerId);
    const claimed = this.cluster()?.claimClientId(clientId) ?? null;
    if (claimed === null) return null;
    return claimed.then((node) => {
      if (node === null) return;
      throw new BrokerError(
        'duplicate-subscription',
        `client-id ${clientId.slice(0, 80)} is already connected`,
        `Another live connection, on cluster node ${node.slice(0, 80)}, uses client-id '${clientId.slice(0, 80)}'. ` +
          'Each connection needs its own client-id; close the other connection first, or choose a different client-id.',
      );
    });
  }

  /** The connection `ownerId` is gone: its client-id is free again (here and, in a cluster, in Redis). */
  release(clientId: string, ownerId: string): void {
    if (this.holders.get(clientId) !== ownerId) return;
    this.holders.delete(clientId);
    this.cluster()?.releaseClientId(clientId);
  }
}
