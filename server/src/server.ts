import { existsSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createConsoleHandler } from './admin/console-files.js';
import { createHttpHandler, loadOnFirstRequest } from './admin/http.js';
import { MetricsRecorder } from './admin/metrics-recorder.js';
import { createStaticHandler } from './admin/static-files.js';
import { type AuthSetup, createAuth } from './auth/index.js';
import { Broker } from './broker/broker.js';
import type { ClusterBus, ClusterStatus } from './cluster/index.js';
import { clusterOptions } from './cluster-options.js';
import { type BrokerConfig, type DeepPartial, resolveConfig } from './config.js';
import { Counters, LIMIT_BREACHES } from './counters.js';
import { createLogger, LimitBreachLog, type Logger } from './logger.js';
import { packageRoot } from './package-root.js';
import { encodeFrame } from './protocol/encoder.js';
import { ServerAdminHost } from './server-admin.js';
import {
  type ListenAddresses,
  ServerListeners,
  type TlsCertificateInfo,
  type TlsReloadResult,
} from './server-listeners.js';
import { coversDestination } from './session/handlers/access.js';
import { HeartbeatScheduler } from './session/heartbeat.js';
import { Session, type SessionContext } from './session/session.js';
import { type DataDirLock, lockDataDir } from './store/data-dir-lock.js';
import { openStore } from './store/index.js';
import type {
  Connection,
  ConnectionAcceptor,
  ConnectionHandler,
  HttpHandler,
  PeerCertificate,
  TransportKind,
} from './transport/connection.js';
import { VERSION } from './version.js';

export {
  type ListenAddresses,
  REFUSED_UPGRADES,
  TLS_HANDSHAKE_FAILURES,
  type TlsCertificateInfo,
  type TlsReloadResult,
} from './server-listeners.js';

/** One live client connection, for introspection (tests, admin). */
export interface ConnectionInfo {
  /** Session id (as in CONNECTED `session`). */
  id: string;
  state: string;
  transport: TransportKind;
  /** TLS (`stomp+ssl://`, `wss://`). */
  secure: boolean;
  remoteAddress: string;
  /** The verified client certificate (mutual TLS), when there is one. */
  peerCertificate: PeerCertificate | null;
}

/** Counter of refused logins (bad passcode, unknown user, bad or foreign token). */
export const AUTH_FAILURES = 'stompede_auth_failures_total';

/** How long close() waits for clients to take their ERROR and go, before cutting them off. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * A running Stompede: listeners, the sessions they accept, and the broker
 * they talk to. This is what `createBroker` returns and `stompede serve` runs.
 */
export class StompedeBroker implements ConnectionAcceptor {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  private core: Broker | null = null;
  private starting: Promise<Broker> | null = null;
  private lock: DataDirLock | null = null;
  private readonly scheduler = new HeartbeatScheduler();
  /** Event counters shared by every layer (limit breaches, refused logins, drops). */
  readonly counters = new Counters();
  /** Who may connect and what they may do (config `auth`), handed to every session. */
  private readonly auth: AuthSetup;
  private readonly sessions = new Set<Session>();
  /** Dropped sessions waiting for their clients to resume them, by resume token. */
  private readonly parked = new Map<string, Session>();
  /** The TCP, TLS and WebSocket listeners and the http.Server attachments (server-listeners.ts). */
  private readonly listeners: ServerListeners;
  private context: SessionContext | null = null;
  private readonly sessionPrefix = Date.now().toString(36);
  private readonly httpHandler: HttpHandler;
  private nextSession = 1;
  /** Open client connections (parked sessions have none), in all and per remote address. */
  private openConnections = 0;
  private readonly connectionsByIp = new Map<string, number>();
  private closing = false;
  private allClosed: (() => void) | null = null;
  /** The Redis bus to the other nodes, when config `cluster.url` is set. */
  private clusterBus: ClusterBus | null = null;
  /** `host:port` of the STOMP TCP listener (else the WebSocket one), as the other nodes list this one. */
  private advertisedAddress = '';
  /** The admin API's view of this server (admin/host.ts). */
  readonly admin: ServerAdminHost;
  /** This node's name in the admin API: host:port of its HTTP listener once bound. */
  private nodeName = hostname();
  /** What Prometheus metrics record from start-up (config `metrics`); null when off. */
  private readonly metricsRecorder: MetricsRecorder | null;
  /** Samples the broker's rate rings once a second. */
  private rateTimer: NodeJS.Timeout | null = null;

  constructor(overrides: DeepPartial<BrokerConfig> = {}, logger?: Logger) {
    this.config = resolveConfig(overrides);
    this.logger = logger ?? createLogger(this.config.logLevel);
    // One log line per limit breach, wherever it is counted (rate-limited per limit).
    const breaches = new LimitBreachLog(this.logger);
    this.counters.watch(LIMIT_BREACHES, (labels) => breaches.report(labels.limit ?? 'unknown'));
    // Reads the users and JWKS files now: a bad one stops the broker before it listens.
    this.auth = createAuth(this.config.auth, coversDestination, {
      onFailure: (remoteAddress, reason, delayMs) => {
        this.counters.increment(AUTH_FAILURES);
        this.logger.info({ remoteAddress, reason, delayMs }, 'login refused');
      },
      onReloadError: (err) =>
        this.logger.warn(
          { err: err.message },
          'auth file changed but cannot be read; keeping the previous one',
        ),
    });
    this.admin = new ServerAdminHost({
      config: this.config,
      counters: this.counters,
      logger: this.logger,
      authenticator: this.auth.authenticator,
      authorizer: this.auth.authorizer,
      sessions: this.sessions,
      broker: () => this.broker,
      nodeId: () => this.nodeName,
      clusterStatus: () => this.clusterStatus(),
      shutdown: () => this.close(),
    });
    const recorder = this.config.metrics.enabled ? new MetricsRecorder() : null;
    this.metricsRecorder = recorder;
    const admin = this.admin;
    // The admin API and prom-client load on their first request (issue 9: start-up).
    this.httpHandler = createHttpHandler({
      admin: this.config.admin.enabled
        ? loadOnFirstRequest(async () => {
            const api = (await import('./admin/api.js')).createAdminApi(admin);
            return (request) => api.handle(request);
          })
        : null,
      metrics:
        recorder === null
          ? null
          : {
              path: this.config.metrics.path,
              handle: loadOnFirstRequest(async () => {
                const metrics = new (await import('./admin/metrics.js')).BrokerMetrics(
                  admin,
                  recorder,
                );
                return (request) => metrics.handle(request);
              }),
            },
      files: createStaticHandler(this.config.demoDir ?? defaultDemoDir(), this.config.wsPaths),
      console: this.config.admin.enabled ? createConsoleHandler() : null,
    });
    this.listeners = new ServerListeners(
      this.config,
      this.logger,
      this.counters,
      this,
      this.httpHandler,
    );
  }

  /** Number of live client connections. */
  get connectionCount(): number {
    return this.sessions.size;
  }

  /** The routing core; available once listen() or attach() has opened the store. */
  get broker(): Broker {
    if (this.core === null)
      throw new Error('the broker is not started: call listen() or attach() first');
    return this.core;
  }

  /**
   * Open the store and rebuild what it holds, once. With LMDB the data
   * directory is locked first, and its lock says whether the last run
   * ended cleanly.
   */
  start(): Promise<Broker> {
    this.starting ??= this.open();
    return this.starting;
  }

  private async open(): Promise<Broker> {
    const began = Date.now();
    const { store: kind, dataDir } = this.config;
    let cleanShutdown = true;
    if (kind === 'lmdb') {
      this.lock = lockDataDir(dataDir);
      cleanShutdown = this.lock.cleanShutdown;
    }
    try {
      const store = await openStore(kind, dataDir);
      // The pid file's fsync ran on the thread pool while the store loaded.
      await this.lock?.durable.catch(async (err: unknown) => {
        await store.close().catch(() => {});
        throw err;
      });
      // Lazy: queue messages come back as an index and are read on first use (issue 9: start-up with 1M stored).
      const state = await store.recover({ lazy: true });
      const broker = new Broker(this.config, store, this.counters);
      broker.recover(state, cleanShutdown);
      await this.joinCluster(broker).catch(async (err: unknown) => {
        await store.close().catch(() => {});
        throw err;
      });
      this.core = broker;
      this.rateTimer = setInterval(() => broker.admin.sampleRates(Date.now()), 1000);
      this.rateTimer.unref();
      if (this.metricsRecorder !== null) store.onCommit = this.metricsRecorder.observeCommit;
      this.context = {
        broker,
        config: this.config,
        scheduler: this.scheduler,
        counters: this.counters,
        logger: this.logger,
        serverName: `stompede/${VERSION}`,
        authenticator: this.auth.authenticator,
        authorizer: this.auth.authorizer,
        newSessionId: () => `session-${this.sessionPrefix}-${this.nextSession++}`,
        sessionClosed: (session) => this.sessionClosed(session),
        connectionClosed: (connection) => this.connectionClosed(connection),
        parkSession: (session) => this.parked.set(session.resumeToken, session),
        unparkSession: (session) => {
          if (this.parked.get(session.resumeToken) === session)
            this.parked.delete(session.resumeToken);
        },
        takeParked: (token) => {
          const session = this.parked.get(token);
          this.parked.delete(token);
          return session;
        },
      };
      let recovered = 0;
      for (const messages of state.queues.values()) recovered += messages.length;
      for (const index of state.queueIndex?.values() ?? []) recovered += index.seqs.length;
      this.logger.info(
        {
          store: kind,
          dataDir: kind === 'lmdb' ? dataDir : undefined,
          recovered,
          cleanShutdown,
          ms: Date.now() - began,
        },
        'store opened',
      );
      return broker;
    } catch (err) {
      this.lock?.release();
      this.lock = null;
      throw err;
    }
  }

  /** ConnectionAcceptor: every transport hands each new socket here. */
  accept(connection: Connection): ConnectionHandler {
    const refused = this.refuseOverLimit(connection);
    if (refused !== null) return refused;
    const session = new Session(connection, this.context!);
    this.sessions.add(session);
    // Counted out by Session.onClose (SessionContext.connectionClosed).
    this.openConnections++;
    const ip = connection.remoteAddress;
    this.connectionsByIp.set(ip, (this.connectionsByIp.get(ip) ?? 0) + 1);
    return session;
  }

  /**
   * limits.maxConnections and limits.maxConnectionsPerIp, checked at accept:
   * over either, the connection gets ERROR `too many connections` naming the
   * limit and is closed, without a session. Returns its do-nothing handler,
   * or null to go ahead.
   */
  private refuseOverLimit(connection: Connection): ConnectionHandler | null {
    const { maxConnections, maxConnectionsPerIp } = this.config.limits;
    const ip = connection.remoteAddress;
    let limit: string;
    let detail: string;
    if (this.openConnections >= maxConnections) {
      limit = 'limits.maxConnections';
      detail =
        `The broker already serves ${this.openConnections} connections, the most it allows ` +
        '(limits.maxConnections). Try again later; an operator can raise limits.maxConnections.';
    } else if (ip !== '' && (this.connectionsByIp.get(ip) ?? 0) >= maxConnectionsPerIp) {
      limit = 'limits.maxConnectionsPerIp';
      detail =
        `${ip} already has ${maxConnectionsPerIp} connections open, the most one address may have ` +
        '(limits.maxConnectionsPerIp). Close some, or share connections; an operator can raise ' +
        'limits.maxConnectionsPerIp.';
    } else {
      return null;
    }
    // Logged (rate-limited) as a limit breach through the counter's watcher; no session, so no open/close lines.
    this.counters.increment(LIMIT_BREACHES, { limit });
    const headers: [string, string][] = [
      ['message', 'too many connections'],
      ['content-type', 'text/plain'],
    ];
    connection.send(encodeFrame('ERROR', headers, `${detail}\n`, '1.0'));
    connection.end();
    return REFUSED_CONNECTION;
  }

  private connectionClosed(connection: Connection): void {
    this.openConnections--;
    const ip = connection.remoteAddress;
    const count = (this.connectionsByIp.get(ip) ?? 1) - 1;
    if (count > 0) this.connectionsByIp.set(ip, count);
    else this.connectionsByIp.delete(ip);
  }

  /** Bind the TCP and HTTP/WebSocket listeners the config asks for. */
  async listen(): Promise<ListenAddresses> {
    await this.start();
    const addresses = await this.listeners.listen();
    const { tcp, ws } = addresses;
    if (ws !== null) this.nodeName = `${ws.host}:${ws.port}`;
    const advertised = tcp ?? ws;
    this.advertisedAddress = advertised === null ? '' : `${advertised.host}:${advertised.port}`;
    return addresses;
  }

  /** Serve the TLS listeners a re-read certificate from now on (`stompede serve` on SIGHUP); see ServerListeners. */
  reloadTls(): Promise<TlsReloadResult> {
    return this.listeners.reloadTls();
  }

  /** The certificate the TLS listeners serve now; null when TLS is off. */
  get tlsCertificate(): TlsCertificateInfo | null {
    return this.listeners.tlsCertificate;
  }

  /**
   * Serve STOMP over WebSocket on an existing node http.Server (an Express
   * app, say), on the configured paths; the server's other routes are left alone.
   */
  async attach(server: HttpServer): Promise<void> {
    await this.start();
    await this.listeners.attach(server);
  }

  /** Every live client connection (sessions not yet closed), with its transport and TLS identity. */
  listConnections(): ConnectionInfo[] {
    return [...this.sessions].map((session) => ({
      id: session.id,
      state: session.state,
      transport: session.connection.transport,
      secure: session.connection.secure === true,
      remoteAddress: session.connection.remoteAddress,
      peerCertificate: session.connection.peerCertificate ?? null,
    }));
  }

  /**
   * Graceful shutdown: stop accepting, tell every client `server shutting
   * down` (ERROR, then close), wait briefly for them to go, then cut the rest.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.listeners.closeListeners();
    const gone = new Promise<void>((resolve) => {
      this.allClosed = resolve;
    });
    for (const session of [...this.parked.values()]) session.endParked();
    for (const session of [...this.sessions]) {
      if (session.state === 'connected' || session.state === 'awaiting-connect') {
        session.noteEnd({ reason: 'server-shutdown', error: 'server shutting down' });
        session.sendError('server shutting down', 'The broker is shutting down; reconnect later.');
      }
    }
    this.checkAllClosed();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      gone,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS))),
    ]);
    clearTimeout(timer);
    for (const session of [...this.sessions]) session.connection.destroy();
    this.scheduler.stop();
    if (this.rateTimer !== null) clearInterval(this.rateTimer);
    this.metricsRecorder?.close();
    if (this.starting !== null) {
      const broker = await this.starting.catch(() => null);
      if (broker !== null) await this.leaveCluster(broker);
      if (broker !== null) {
        // Remember which stored messages were handed out, so a clean restart flags exactly those redelivered.
        await broker
          .recordDeliveries()
          .catch((err: unknown) => this.logger.error({ err }, 'recording deliveries failed'));
        await broker.store.close();
      }
      this.lock?.release();
    }
    this.logger.info('stopped');
  }

  // ── cluster ──────────────────────────────────────────────────────────

  /** With `cluster.url`: connect to Redis and register this node, or fail (the URL, masked, and why). */
  private async joinCluster(broker: Broker): Promise<void> {
    const options = clusterOptions(this.config);
    if (options === null) return;
    // ioredis and the cluster modules load only on nodes that join a cluster (issue 9: start-up).
    const { ClusterBus } = await import('./cluster/index.js');
    const bus = await ClusterBus.open(options, this.logger);
    bus.setLocalInfo(() => ({ address: this.advertisedAddress, connections: this.sessions.size }));
    await broker.joinCluster(bus, (fields, message) => this.logger.warn(fields, message));
    this.clusterBus = bus;
    this.logger.info({ nodeId: options.nodeId, redis: bus.url }, 'joined cluster');
  }

  /** Hand back what this node holds (its consumers are gone by now), then leave. */
  private async leaveCluster(broker: Broker): Promise<void> {
    const bus = this.clusterBus;
    if (bus === null) return;
    await broker.writeBarrier()?.catch(() => {});
    broker.leaveCluster();
    await bus.close();
  }

  /**
   * The cluster as the admin API and `stompede status` show it: every live
   * node with its connections, and Redis health. `enabled` false (and no
   * nodes) when this broker runs alone.
   */
  async clusterStatus(): Promise<ClusterStatus> {
    if (this.clusterBus === null) {
      return { enabled: false, nodeId: '', nodes: [], redis: null };
    }
    return this.clusterBus.status(this.sessions.size);
  }

  private sessionClosed(session: Session): void {
    if (this.sessions.delete(session)) this.admin.retire(session);
    this.checkAllClosed();
  }

  private checkAllClosed(): void {
    if (this.closing && this.sessions.size === 0 && this.allClosed !== null) this.allClosed();
  }
}

/** What a connection refused at accept is handed to: it reads nothing and owns nothing. */
const REFUSED_CONNECTION: ConnectionHandler = {
  onData() {},
  onDrain() {},
  onClose() {},
};

/** The demo app next to this package in the source tree, when there is one (not in an npm install). */
function defaultDemoDir(): string | null {
  const dir = join(packageRoot(), '..', 'demo', 'public');
  return existsSync(dir) ? dir : null;
}
