/**
 * The running server as the admin API sees it (admin/host.ts): views of its
 * sessions (which live above the broker, so the admin layer cannot read them
 * itself), traffic totals per transport, and closing a connection.
 */

import type { AdminHost, ConnectionView, SubscriptionView, WireTotals } from './admin/host.js';
import type { Authenticator, Authorizer, Principal } from './auth/index.js';
import type { Broker } from './broker/broker.js';
import type { Subscription } from './broker/subscription.js';
import type { BrokerConfig } from './config.js';
import type { Counters } from './counters.js';
import { type Logger, logAdminAction } from './logger.js';
import { FrameTracing } from './session/frame-tracing.js';
import type { Session } from './session/session.js';
import type { TransportKind } from './transport/connection.js';

export interface ServerAdminParts {
  config: BrokerConfig;
  counters: Counters;
  logger: Logger;
  authenticator: Authenticator | null;
  authorizer: Authorizer | null;
  sessions: ReadonlySet<Session>;
  broker(): Broker;
  nodeId(): string;
  shutdown(): Promise<void>;
}

const TRANSPORTS: readonly TransportKind[] = ['uws', 'ws', 'tcp'];

function emptyTotals(): WireTotals {
  return { connections: 0, framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0 };
}

export class ServerAdminHost implements AdminHost {
  readonly startedAt = Date.now();
  /** Traffic of sessions already closed, per transport. */
  private readonly retired: Record<TransportKind, WireTotals> = {
    uws: emptyTotals(),
    ws: emptyTotals(),
    tcp: emptyTotals(),
  };

  readonly frameTracer: FrameTracing;

  constructor(private readonly parts: ServerAdminParts) {
    this.frameTracer = new FrameTracing(parts.config.frameTrace, parts.counters, (id) =>
      this.find(id),
    );
  }

  get config(): BrokerConfig {
    return this.parts.config;
  }
  get counters(): Counters {
    return this.parts.counters;
  }
  get logger(): Logger {
    return this.parts.logger;
  }
  get authenticator(): Authenticator | null {
    return this.parts.authenticator;
  }
  get authorizer(): Authorizer | null {
    return this.parts.authorizer;
  }
  get broker(): Broker {
    return this.parts.broker();
  }
  get nodeId(): string {
    return this.parts.nodeId();
  }

  /** A session ended: keep its traffic in the totals. */
  retire(session: Session): void {
    const totals = this.retired[session.connection.transport];
    totals.framesIn += session.framesIn;
    totals.framesOut += session.framesOut;
    totals.bytesIn += session.bytesIn;
    totals.bytesOut += session.bytesOut;
  }

  connections(): ConnectionView[] {
    return [...this.parts.sessions].map(connectionView);
  }

  connection(id: string): ConnectionView | undefined {
    const session = this.find(id);
    return session === undefined ? undefined : connectionView(session);
  }

  subscriptions(connectionId?: string): SubscriptionView[] {
    const out: SubscriptionView[] = [];
    for (const session of this.parts.sessions) {
      if (connectionId !== undefined && session.id !== connectionId) continue;
      for (const subscription of session.subscriptions.values()) {
        out.push(subscriptionView(session.id, subscription));
      }
    }
    return out;
  }

  closeConnection(id: string, by: string): boolean {
    const session = this.find(id);
    if (session === undefined) return false;
    if (session.state === 'parked') {
      session.endParked();
      return true;
    }
    session.sendError(
      'closed by administrator',
      `An administrator${by === '' ? '' : ` (${by})`} closed this connection through the admin API.`,
    );
    return true;
  }

  wireTotals(): Record<TransportKind, WireTotals> {
    const out = {} as Record<TransportKind, WireTotals>;
    for (const kind of TRANSPORTS) out[kind] = { ...this.retired[kind], connections: 0 };
    for (const session of this.parts.sessions) {
      const totals = out[session.connection.transport];
      if (session.state !== 'parked' && session.state !== 'closed') totals.connections++;
      totals.framesIn += session.framesIn;
      totals.framesOut += session.framesOut;
      totals.bytesIn += session.bytesIn;
      totals.bytesOut += session.bytesOut;
    }
    return out;
  }

  connectionIdentity(id: string): { ownerId: string; principal: Principal | null } | undefined {
    const session = this.find(id);
    return session === undefined
      ? undefined
      : { ownerId: session.ownerId, principal: session.principal };
  }

  shutdown(by: string): void {
    logAdminAction(this.parts.logger, { action: 'shutdown', target: 'broker', user: by });
    // After the HTTP answer has gone out.
    setTimeout(() => {
      this.parts
        .shutdown()
        .catch((err: unknown) => this.parts.logger.error({ err }, 'shutdown failed'));
    }, 50);
  }

  private find(id: string): Session | undefined {
    for (const session of this.parts.sessions) if (session.id === id) return session;
    return undefined;
  }
}

function connectionView(session: Session): ConnectionView {
  const connection = session.connection;
  return {
    id: session.id,
    remoteAddress: connection.remoteAddress,
    remotePort: connection.remotePort,
    transport: connection.transport,
    secure: connection.secure === true,
    version: session.state === 'awaiting-connect' ? '' : session.version,
    user: session.principal?.name || session.login,
    clientId: session.clientId,
    subscriptions: session.subscriptions.size,
    bytesIn: session.bytesIn,
    bytesOut: session.bytesOut,
    messagesIn: session.messagesIn,
    messagesOut: session.messagesOut,
    framesIn: session.framesIn,
    framesOut: session.framesOut,
    bufferedAmount: session.state === 'parked' ? 0 : connection.bufferedAmount,
    connectedAt: new Date(session.openedAt).toISOString(),
    state: session.state,
  };
}

function subscriptionView(connectionId: string, subscription: Subscription): SubscriptionView {
  return {
    connectionId,
    id: subscription.id,
    destination: subscription.destination,
    ackMode: subscription.ackMode,
    selector: subscription.selectorText,
    durableName: subscription.durableName,
    pending: subscription.unacked,
    delivered: subscription.delivered,
    prefetch: Number.isFinite(subscription.prefetch) ? subscription.prefetch : null,
    noLocal: subscription.noLocal,
    exclusive: subscription.exclusive,
  };
}
