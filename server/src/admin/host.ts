/**
 * What the admin API needs from the running broker beyond the routing core:
 * its connections (sessions live above the broker, so the server builds these
 * views), identity, auth, and lifecycle. Implemented in server-admin.ts.
 */
import type { Authenticator, Authorizer, Principal } from '../auth/index.js';
import type { Broker } from '../broker/broker.js';
import type { BrokerConfig } from '../config.js';
import type { Counters } from '../counters.js';
import type { Logger } from '../logger.js';
import type { TransportKind } from '../transport/connection.js';
import type { FrameTracer } from './trace-routes.js';

export interface SubscriptionView {
  connectionId: string;
  id: string;
  destination: string;
  ackMode: string;
  /** The JMS selector as written; '' when none. */
  selector: string;
  /** The durable subscription name; '' when not durable. */
  durableName: string;
  /** Deliveries awaiting ACK/NACK. */
  pending: number;
  delivered: number;
  prefetch: number | null;
  noLocal: boolean;
  exclusive: boolean;
}

export interface ConnectionView {
  id: string;
  remoteAddress: string;
  remotePort: number;
  transport: TransportKind;
  secure: boolean;
  /** Negotiated STOMP version ('' before CONNECTED). */
  version: string;
  /** Who logged in ('' for anonymous). */
  user: string;
  clientId: string;
  subscriptions: number;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  framesIn: number;
  framesOut: number;
  bufferedAmount: number;
  /** ISO 8601. */
  connectedAt: string;
  state: string;
}

/** Frames and bytes per transport since start (closed connections included). */
export interface WireTotals {
  connections: number;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
}

export interface AdminHost {
  readonly config: BrokerConfig;
  readonly counters: Counters;
  readonly logger: Logger;
  /** ms since the epoch. */
  readonly startedAt: number;
  /** This node's name (host:port of its HTTP listener, or the host name). */
  readonly nodeId: string;
  readonly authenticator: Authenticator | null;
  readonly authorizer: Authorizer | null;
  /** The routing core; throws before the store is open. */
  readonly broker: Broker;
  /** Frame traces of live connections (session/frame-tracing.ts). */
  readonly frameTracer: FrameTracer;
  connections(): ConnectionView[];
  connection(id: string): ConnectionView | undefined;
  subscriptions(connectionId?: string): SubscriptionView[];
  /** Close connection `id` with ERROR `closed by administrator`; false when there is none. */
  closeConnection(id: string, by: string): boolean;
  /** Per transport, live connections now and traffic since start. */
  wireTotals(): Record<TransportKind, WireTotals>;
  /** The principal and owner id of a live connection, for routing explain; undefined when none. */
  connectionIdentity(id: string): { ownerId: string; principal: Principal | null } | undefined;
  /** Begin a graceful shutdown (after the current response is written). */
  shutdown(by: string): void;
}
