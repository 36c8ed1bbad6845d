import type { Server as HttpServer } from 'node:http';
import type { BrokerConfig } from './config.js';
import type { Counters } from './counters.js';
import type { Logger } from './logger.js';
import type {
  ConnectionAcceptor,
  HttpHandler,
  Listener,
  SecureListener,
} from './transport/connection.js';
import type { RefusedUpgrade } from './transport/origin.js';
import { listenTcp } from './transport/tcp.js';
import type { TlsMaterial } from './transport/tls-material.js';
import { listenUws, listenUwsSsl } from './transport/uws.js';
import { loadUws, uwsLoadError } from './transport/uws-loader.js';
import type { WsAttachment } from './transport/ws.js';

/** Where the broker listens, as bound (port 0 in the config becomes the real port here). */
export interface ListenAddresses {
  tcp: { host: string; port: number } | null;
  ws: { host: string; port: number } | null;
  /** The WebSocket engine actually serving wsPort (uws falls back to ws when it cannot load). */
  wsTransport: 'uws' | 'ws';
  /** `stomp+ssl://` (tls.tcpPort); null when TLS is off or that port is disabled. */
  tls: { host: string; port: number } | null;
  /**
   * `wss://` + `https://` (tls.wssPort); null when off. `transport` is the
   * engine serving it: ws when uws cannot load or client certificates are requested.
   */
  wss: { host: string; port: number; transport: 'uws' | 'ws' } | null;
}

/** The certificate the TLS listeners serve, as logged on start and reload. */
export interface TlsCertificateInfo {
  subject: string;
  /** ISO 8601 expiry. */
  validTo: string;
  fingerprint256: string;
}

/** Outcome of reloadTls(): the certificate now served, or why the old one was kept. */
export type TlsReloadResult = ({ ok: true } & TlsCertificateInfo) | { ok: false; error: string };

/** Counter of WebSocket upgrades refused by the Origin allow-list, labelled with the reason. */
export const REFUSED_UPGRADES = 'stompede_refused_upgrades_total';
/** Counter of failed TLS handshakes, labelled with the listener ('tls' | 'wss'). */
export const TLS_HANDSHAKE_FAILURES = 'stompede_tls_handshake_failures_total';

/** Linux keeps TIME_WAIT sockets for 60 s. */
const BUSY_PORT_WAIT_MS = 65_000;

/**
 * The server's listeners: which transport serves which configured port
 * (uws, falling back to ws), TLS material and its reload, attaching to an
 * existing http.Server, and closing them all. Sessions and the broker are
 * StompedeBroker's (server.ts); this only binds sockets and hands each new
 * connection to the acceptor.
 */
export class ServerListeners {
  private readonly listeners: Listener[] = [];
  /** The TLS listeners among `listeners`, for reloadTls(). */
  private secureListeners: SecureListener[] = [];
  private tlsMaterial: TlsMaterial | null = null;
  private readonly attachments: WsAttachment[] = [];

  constructor(
    private readonly config: BrokerConfig,
    private readonly logger: Logger,
    private readonly counters: Counters,
    private readonly acceptor: ConnectionAcceptor,
    private readonly httpHandler: HttpHandler,
  ) {}

  /** Bind the TCP and HTTP/WebSocket listeners the config asks for. */
  async listen(): Promise<ListenAddresses> {
    const { host, tcpPort, wsPort, limits } = this.config;
    let wsTransport = this.config.wsTransport;
    let ws: ListenAddresses['ws'] = null;
    let tcp: ListenAddresses['tcp'] = null;
    let secure: Pick<ListenAddresses, 'tls' | 'wss'> = { tls: null, wss: null };
    try {
      if (wsPort !== null) {
        if (wsTransport === 'uws' && loadUws() === null) {
          this.logger.warn(
            { reason: uwsLoadError() },
            'uWebSockets.js cannot load on this platform; serving WebSocket with the ws package instead',
          );
          wsTransport = 'ws';
        }
        const wsOptions = this.wsListenOptions(wsPort);
        const listener =
          wsTransport === 'uws'
            ? await this.retryBusyPort(wsPort, () =>
                listenUws(
                  { ...wsOptions, maxBackpressure: limits.outboundMaxBuffer },
                  this.acceptor,
                  this.httpHandler,
                ),
              )
            : await (await loadWsTransport()).listenWs(wsOptions, this.acceptor, this.httpHandler);
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
          this.acceptor,
        );
        this.listeners.push(listener);
        tcp = { host: listener.host, port: listener.port };
      }
      secure = await this.listenSecure();
    } catch (err) {
      await this.closeListeners();
      throw err;
    }
    this.logger.info({ tcp, ws, wsTransport, tls: secure.tls, wss: secure.wss }, 'listening');
    return { tcp, ws, wsTransport, ...secure };
  }

  /** The `stomp+ssl://` and `wss://` listeners, when tls.certFile/keyFile are set. */
  private async listenSecure(): Promise<Pick<ListenAddresses, 'tls' | 'wss'>> {
    const { host, tls: config, limits } = this.config;
    if (config.certFile === null || config.keyFile === null) return { tls: null, wss: null };
    if (config.tcpPort === null && config.wssPort === null) return { tls: null, wss: null };
    // node:tls and the TLS listener load only when TLS is configured (issue 9: start-up).
    const { loadTlsMaterial } = await import('./transport/tls-material.js');
    const { listenTls } = await import('./transport/tls.js');
    const material = loadTlsMaterial({
      certFile: config.certFile,
      keyFile: config.keyFile,
      caFile: config.caFile ?? undefined,
    });
    this.tlsMaterial = material;
    this.logger.info(certificateInfo(material), 'TLS certificate loaded');
    const tlsOptions = (listener: 'tls' | 'wss') => ({
      material,
      requestClientCert: config.requestClientCert,
      rejectUnauthorized: config.rejectUnauthorized,
      onTlsError: (error: Error, remoteAddress: string) => {
        this.counters.increment(TLS_HANDSHAKE_FAILURES, { listener });
        this.logger.debug(
          { listener, remoteAddress, reason: error.message },
          'TLS handshake failed',
        );
      },
    });
    let tls: ListenAddresses['tls'] = null;
    let wss: ListenAddresses['wss'] = null;
    if (config.tcpPort !== null) {
      const listener = await listenTls(
        {
          host,
          port: config.tcpPort,
          highWaterMark: limits.outboundHighWaterMark,
          onError: (err: unknown) => this.logger.error({ err }, 'TLS connection failed'),
          tls: tlsOptions('tls'),
        },
        this.acceptor,
      );
      this.listeners.push(listener);
      this.secureListeners.push(listener);
      tls = { host: listener.host, port: listener.port };
    }
    if (config.wssPort !== null) {
      let transport = this.config.wsTransport;
      if (transport === 'uws' && config.requestClientCert) {
        this.logger.info(
          'wss:// is served by the ws engine: uWebSockets.js cannot expose client certificates (tls.requestClientCert)',
        );
        transport = 'ws';
      } else if (transport === 'uws' && loadUws() === null) {
        this.logger.warn(
          { reason: uwsLoadError() },
          'uWebSockets.js cannot load on this platform; serving wss:// with the ws package instead',
        );
        transport = 'ws';
      }
      const wssPort = config.wssPort;
      const options = { ...this.wsListenOptions(wssPort), tls: tlsOptions('wss') };
      const listener =
        transport === 'uws'
          ? await this.retryBusyPort(wssPort, () =>
              listenUwsSsl(
                { ...options, maxBackpressure: limits.outboundMaxBuffer },
                this.acceptor,
                this.httpHandler,
              ),
            )
          : await (await loadWsTransport()).listenWss(options, this.acceptor, this.httpHandler);
      this.listeners.push(listener);
      this.secureListeners.push(listener);
      wss = { host: listener.host, port: listener.port, transport };
    }
    return { tls, wss };
  }

  /**
   * Re-read tls.certFile/keyFile/caFile and serve them on the TLS listeners
   * from now on: new connections get the new certificate, established ones
   * keep theirs. `stompede serve` calls it on SIGHUP. A file that cannot be
   * used (unreadable, not PEM, key not matching) leaves the old certificate
   * in place and is logged as an error. Logs one line either way.
   */
  async reloadTls(): Promise<TlsReloadResult> {
    const { certFile, keyFile, caFile } = this.config.tls;
    if (this.secureListeners.length === 0 || certFile === null || keyFile === null) {
      const error = 'TLS is not listening: nothing to reload';
      this.logger.info(error);
      return { ok: false, error };
    }
    try {
      const { loadTlsMaterial } = await import('./transport/tls-material.js');
      const material = loadTlsMaterial({ certFile, keyFile, caFile: caFile ?? undefined });
      for (const listener of this.secureListeners) await listener.reloadTls(material);
      this.tlsMaterial = material;
      const info = certificateInfo(material);
      this.logger.info(info, 'TLS certificate reloaded');
      return { ok: true, ...info };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.logger.error({ error }, 'TLS reload failed; still serving the previous certificate');
      return { ok: false, error };
    }
  }

  /** The certificate the TLS listeners serve now; null when TLS is off. */
  get tlsCertificate(): TlsCertificateInfo | null {
    return this.tlsMaterial === null ? null : certificateInfo(this.tlsMaterial);
  }

  /** A WebSocket upgrade refused by the Origin allow-list: one log line and a counter. */
  private readonly upgradeRefused = (refused: RefusedUpgrade): void => {
    this.counters.increment(REFUSED_UPGRADES, { reason: refused.reason });
    this.logger.warn(
      refused,
      'WebSocket upgrade refused (Origin not allowed; see origins.allowed)',
    );
  };

  /** Options every WebSocket listener shares. */
  private wsListenOptions(port: number) {
    const { host, limits } = this.config;
    return {
      host,
      port,
      paths: this.config.wsPaths,
      maxPayload: wsMaxPayload(this.config),
      highWaterMark: limits.outboundHighWaterMark,
      onError: (err: unknown) => this.logger.error({ err }, 'WebSocket connection failed'),
      origins: this.config.origins,
      onRefusedUpgrade: this.upgradeRefused,
      maxHttpBodyBytes: this.config.admin.maxBodyBytes,
    };
  }

  /**
   * Serve STOMP over WebSocket on an existing node http.Server (an Express
   * app, say), on the configured paths; the server's other routes are left alone.
   */
  async attach(server: HttpServer): Promise<void> {
    const { attachWs } = await loadWsTransport();
    const attachment = attachWs(
      server,
      {
        paths: this.config.wsPaths,
        maxPayload: wsMaxPayload(this.config),
        highWaterMark: this.config.limits.outboundHighWaterMark,
        onError: (err: unknown) => this.logger.error({ err }, 'WebSocket connection failed'),
        origins: this.config.origins,
        onRefusedUpgrade: this.upgradeRefused,
      },
      this.acceptor,
    );
    this.attachments.push(attachment);
  }

  /**
   * uWebSockets.js sets no SO_REUSEADDR, so its port stays unbindable (for
   * anyone) while connections of a previous run sit in TIME_WAIT, up to a
   * minute after a restart. Wait that out, saying so, instead of failing.
   */
  private async retryBusyPort<L extends Listener>(
    port: number,
    bind: () => Promise<L>,
  ): Promise<L> {
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

  /** Stop accepting on every listener and attachment (live connections stay with their sessions). */
  async closeListeners(): Promise<void> {
    const listeners = this.listeners.splice(0);
    this.secureListeners = [];
    const attachments = this.attachments.splice(0);
    await Promise.all([...listeners.map((l) => l.close()), ...attachments.map((a) => a.close())]);
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

function certificateInfo(material: TlsMaterial): TlsCertificateInfo {
  return {
    subject: material.subject,
    validTo: material.validTo.toISOString(),
    fingerprint256: material.fingerprint256,
  };
}

/**
 * The `ws` engine, loaded only where it serves (wsTransport 'ws', attach(),
 * wss:// with client certificates): the default uws start-up skips ~15 modules (issue 9).
 */
function loadWsTransport(): Promise<typeof import('./transport/ws.js')> {
  return import('./transport/ws.js');
}
