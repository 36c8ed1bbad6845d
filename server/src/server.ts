import { existsSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createStaticHandler } from './admin/static-files.js';
import { Broker } from './broker/broker.js';
import { type BrokerConfig, type DeepPartial, resolveConfig } from './config.js';
import { Counters } from './counters.js';
import { createLogger, type Logger } from './logger.js';
import { HeartbeatScheduler } from './session/heartbeat.js';
import { Session, type SessionContext } from './session/session.js';
import { type DataDirLock, lockDataDir } from './store/data-dir-lock.js';
import { openStore } from './store/index.js';
import type {
  Connection,
  ConnectionAcceptor,
  HttpHandler,
  Listener,
} from './transport/connection.js';
import { listenTcp } from './transport/tcp.js';
import { listenUws } from './transport/uws.js';
import { loadUws, uwsLoadError } from './transport/uws-loader.js';
import { attachWs, listenWs, type WsAttachment } from './transport/ws.js';
import { VERSION } from './version.js';

/** Where the broker listens, as bound (port 0 in the config becomes the real port here). */
export interface ListenAddresses {
  tcp: { host: string; port: number } | null;
  ws: { host: string; port: number } | null;
  /** The WebSocket engine actually serving wsPort (uws falls back to ws when it cannot load). */
  wsTransport: 'uws' | 'ws';
}

/** How long close() waits for clients to take their ERROR and go, before cutting them off. */
const SHUTDOWN_GRACE_MS = 2000;
/** Linux keeps TIME_WAIT sockets for 60 s. */
const BUSY_PORT_WAIT_MS = 65_000;

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
  private readonly sessions = new Set<Session>();
  /** Dropped sessions waiting for their clients to resume them, by resume token. */
  private readonly parked = new Map<string, Session>();
  private readonly listeners: Listener[] = [];
  private readonly attachments: WsAttachment[] = [];
  private context: SessionContext | null = null;
  private readonly sessionPrefix = Date.now().toString(36);
  private readonly httpHandler: HttpHandler;
  private nextSession = 1;
  private closing = false;
  private allClosed: (() => void) | null = null;

  constructor(overrides: DeepPartial<BrokerConfig> = {}, logger?: Logger) {
    this.config = resolveConfig(overrides);
    this.logger = logger ?? createLogger(this.config.logLevel);
    this.httpHandler = createStaticHandler(
      this.config.demoDir ?? defaultDemoDir(),
      this.config.wsPaths,
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
      const state = await store.recover();
      const broker = new Broker(this.config, store);
      broker.recover(state, cleanShutdown);
      this.core = broker;
      this.context = {
        broker,
        config: this.config,
        scheduler: this.scheduler,
        counters: this.counters,
        logger: this.logger,
        serverName: `stompede/${VERSION}`,
        newSessionId: () => `session-${this.sessionPrefix}-${this.nextSession++}`,
        sessionClosed: (session) => this.sessionClosed(session),
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
  accept(connection: Connection): Session {
    const session = new Session(connection, this.context!);
    this.sessions.add(session);
    return session;
  }

  /** Bind the TCP and HTTP/WebSocket listeners the config asks for. */
  async listen(): Promise<ListenAddresses> {
    await this.start();
    const { host, tcpPort, wsPort, limits } = this.config;
    let wsTransport = this.config.wsTransport;
    let ws: ListenAddresses['ws'] = null;
    let tcp: ListenAddresses['tcp'] = null;
    try {
      if (wsPort !== null) {
        if (wsTransport === 'uws' && loadUws() === null) {
          this.logger.warn(
            { reason: uwsLoadError() },
            'uWebSockets.js cannot load on this platform; serving WebSocket with the ws package instead',
          );
          wsTransport = 'ws';
        }
        const wsOptions = {
          host,
          port: wsPort,
          paths: this.config.wsPaths,
          maxPayload: wsMaxPayload(this.config),
          highWaterMark: limits.outboundHighWaterMark,
          onError: (err: unknown) => this.logger.error({ err }, 'WebSocket connection failed'),
        };
        const listener =
          wsTransport === 'uws'
            ? await this.retryBusyPort(wsPort, () =>
                listenUws(
                  { ...wsOptions, maxBackpressure: limits.outboundMaxBuffer },
                  this,
                  this.httpHandler,
                ),
              )
            : await listenWs(wsOptions, this, this.httpHandler);
        this.listeners.push(listener);
        ws = { host: listener.host, port: listener.port };
      }
      if (tcpPort !== null) {
        const listener = await listenTcp(
          {
            host,
            port: tcpPort,
            highWaterMark: limits.outboundHighWaterMark,
            onError: (err: unknown) => this.logger.error({ err }, 'TCP connection failed'),
          },
          this,
        );
        this.listeners.push(listener);
        tcp = { host: listener.host, port: listener.port };
      }
    } catch (err) {
      await this.closeListeners();
      throw err;
    }
    this.logger.info({ tcp, ws, wsTransport }, 'listening');
    return { tcp, ws, wsTransport };
  }

  /**
   * Serve STOMP over WebSocket on an existing node http.Server (an Express
   * app, say), on the configured paths; the server's other routes are left alone.
   */
  async attach(server: HttpServer): Promise<void> {
    await this.start();
    const attachment = attachWs(
      server,
      {
        paths: this.config.wsPaths,
        maxPayload: wsMaxPayload(this.config),
        highWaterMark: this.config.limits.outboundHighWaterMark,
        onError: (err: unknown) => this.logger.error({ err }, 'WebSocket connection failed'),
      },
      this,
    );
    this.attachments.push(attachment);
  }

  /**
   * Graceful shutdown: stop accepting, tell every client `server shutting
   * down` (ERROR, then close), wait briefly for them to go, then cut the rest.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.closeListeners();
    const gone = new Promise<void>((resolve) => {
      this.allClosed = resolve;
    });
    for (const session of [...this.parked.values()]) session.endParked();
    for (const session of [...this.sessions]) {
      if (session.state === 'connected' || session.state === 'awaiting-connect') {
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
    if (this.starting !== null) {
      const broker = await this.starting.catch(() => null);
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

  /**
   * uWebSockets.js sets no SO_REUSEADDR, so its port stays unbindable (for
   * anyone) while connections of a previous run sit in TIME_WAIT, up to a
   * minute after a restart. Wait that out, saying so, instead of failing.
   */
  private async retryBusyPort(port: number, bind: () => Promise<Listener>): Promise<Listener> {
    const deadline = Date.now() + BUSY_PORT_WAIT_MS;
    let told = false;
    for (;;) {
      try {
        return await bind();
      } catch (err) {
        if (port === 0 || Date.now() > deadline) throw err;
        if (!told) {
          told = true;
          this.logger.warn(
            { port },
            'port busy, probably connections of a previous run in TIME_WAIT; retrying for up to a minute',
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private async closeListeners(): Promise<void> {
    const listeners = this.listeners.splice(0);
    const attachments = this.attachments.splice(0);
    await Promise.all([...listeners.map((l) => l.close()), ...attachments.map((a) => a.close())]);
  }

  private sessionClosed(session: Session): void {
    this.sessions.delete(session);
    this.checkAllClosed();
  }

  private checkAllClosed(): void {
    if (this.closing && this.sessions.size === 0 && this.allClosed !== null) this.allClosed();
  }
}

/**
 * Room for a whole frame in one WebSocket message, plus slack, so a frame
 * over maxFrameSize reaches the parser and gets a readable ERROR rather than
 * a bare WebSocket close from the transport.
 */
function wsMaxPayload(config: BrokerConfig): number {
  return config.limits.maxFrameSize + 64 * 1024;
}

/** The demo app next to this package in the source tree, when there is one (not in an npm install). */
function defaultDemoDir(): string | null {
  const dir = fileURLToPath(new URL('../../demo/public/', import.meta.url));
  return existsSync(dir) ? dir : null;
}
