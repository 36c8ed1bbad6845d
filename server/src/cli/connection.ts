/**
 * One STOMP connection for a client verb, made with @stomp/stompjs (which does
 * all the framing). The URL picks the carrier: `ws://`/`wss://` through the `ws`
 * package, `stomp://`/`stomp+ssl://` through our TCP/TLS adapter.
 */
import { Client, type IFrame, type StompHeaders } from '@stomp/stompjs';
import WebSocket from 'ws';
import { DEFAULT_CONFIG } from '../config.js';
import { CliError, type ConnectionFlags } from './options.js';
import { TcpStompSocket } from './tcp-socket.js';

const STOMP_WS_PROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];
const TCP_PORT = 61613;
const TLS_PORT = 61612;
const CONNECT_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 5_000;

export interface Endpoint {
  /** The URL as the user wrote it, for messages. */
  display: string;
  carrier: 'ws' | 'tcp';
  /** For ws: the URL to open (a bare `ws://host:port` gets the broker's default path). */
  wsUrl: string;
  host: string;
  port: number;
  tls: boolean;
}

export function parseEndpoint(raw: string): Endpoint {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`invalid --url "${raw}"`, 2);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new CliError(`--url "${raw}" names no host`, 2);
  switch (url.protocol) {
    case 'ws:':
    case 'wss:': {
      if (url.pathname === '' || url.pathname === '/') url.pathname = DEFAULT_CONFIG.wsPaths[0]!;
      const tls = url.protocol === 'wss:';
      const port = url.port ? Number(url.port) : tls ? 443 : 80;
      return { display: raw, carrier: 'ws', wsUrl: url.href, host, port, tls };
    }
    case 'stomp:':
    case 'tcp:':
    case 'stomp+ssl:':
    case 'stomp+tls:':
    case 'ssl:': {
      const tls = url.protocol !== 'stomp:' && url.protocol !== 'tcp:';
      const port = url.port ? Number(url.port) : tls ? TLS_PORT : TCP_PORT;
      return { display: raw, carrier: 'tcp', wsUrl: '', host, port, tls };
    }
    default:
      throw new CliError(
        `unsupported --url scheme "${url.protocol}" (use stomp://, stomp+ssl://, ws:// or wss://)`,
        2,
      );
  }
}

function socketFactory(endpoint: Endpoint): () => WebSocket | TcpStompSocket {
  if (endpoint.carrier === 'ws') {
    return () => new WebSocket(endpoint.wsUrl, STOMP_WS_PROTOCOLS);
  }
  return () =>
    new TcpStompSocket({
      host: endpoint.host,
      port: endpoint.port,
      tls: endpoint.tls,
      url: endpoint.display,
    });
}

/** The text of an error event from `ws` or our TCP socket. */
function describeError(event: unknown): string {
  const e = event as { message?: unknown; error?: { message?: unknown } } | undefined;
  if (typeof e?.message === 'string' && e.message) return e.message;
  if (typeof e?.error?.message === 'string' && e.error.message) return e.error.message;
  return 'connection error';
}

/** A broker ERROR frame as one line: its `message` header, then the body's first line. */
export function describeStompError(frame: IFrame): string {
  const message = frame.headers.message?.trim() ?? '';
  const body = frame.body.trim().split('\n')[0]?.trim() ?? '';
  if (message && body && !message.includes(body) && !body.includes(message)) {
    return `${message}: ${body}`;
  }
  return message || body || 'ERROR frame without a message';
}

export interface ConnectionEvents {
  /** The broker sent ERROR after CONNECTED (it closes the connection next). */
  onStompError?(frame: IFrame): void;
  /** The connection dropped without our asking (after an ERROR, too). */
  onLost?(reason: string): void;
  /** With `reconnectDelay`: connected again after a loss. */
  onReconnected?(): void;
}

export interface ConnectOptions {
  /** Reconnect this often after a loss (0: never). The first connection is never retried. */
  reconnectDelay?: number;
  events?: ConnectionEvents;
}

export class StompConnection {
  private closing = false;

  private constructor(
    readonly client: Client,
    readonly endpoint: Endpoint,
  ) {}

  /** Connect, or throw a CliError saying why not ("cannot connect to URL: …"). */
  static async open(
    flags: ConnectionFlags,
    options: ConnectOptions = {},
  ): Promise<StompConnection> {
    const endpoint = parseEndpoint(flags.url);
    const connectHeaders: StompHeaders = {};
    // Like stompede-client: a token is the passcode, with login "jwt" unless one is given.
    const login = flags.login ?? (flags.token !== undefined ? 'jwt' : undefined);
    if (login !== undefined) connectHeaders.login = login;
    const passcode = flags.token ?? flags.passcode;
    if (passcode !== undefined) connectHeaders.passcode = passcode;
    const client = new Client({
      webSocketFactory: socketFactory(endpoint),
      connectHeaders,
      reconnectDelay: options.reconnectDelay ?? 0,
      heartbeatIncoming: 10_000,
      heartbeatOutgoing: 10_000,
      debug: () => {},
    });
    const connection = new StompConnection(client, endpoint);
    const events = options.events ?? {};
    const where = endpoint.display;
    let connected = false;
    let lost = false;
    let lastError = '';

    await new Promise<void>((resolve, reject) => {
      const fail = (message: string) => {
        clearTimeout(timer);
        void client.deactivate({ force: true });
        reject(new CliError(message));
      };
      const timer = setTimeout(
        () => fail(`cannot connect to ${where}: no answer after ${CONNECT_TIMEOUT_MS / 1000}s`),
        CONNECT_TIMEOUT_MS,
      );
      client.onConnect = () => {
        lastError = '';
        if (!connected) {
          connected = true;
          clearTimeout(timer);
          resolve();
        } else if (lost) {
          lost = false;
          events.onReconnected?.();
        }
      };
      client.onStompError = (frame) => {
        if (!connected) fail(`${where} refused the connection: ${describeStompError(frame)}`);
        else events.onStompError?.(frame);
      };
      client.onWebSocketError = (event) => {
        lastError = describeError(event);
      };
      client.onWebSocketClose = (event: { code?: number } | undefined) => {
        const reason = lastError || `connection closed (code ${event?.code ?? 'unknown'})`;
        lastError = '';
        if (!connected) {
          fail(`cannot connect to ${where}: ${reason}`);
        } else if (!connection.closing && !lost) {
          lost = true;
          events.onLost?.(reason);
        }
      };
      client.activate();
    });
    return connection;
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** DISCONNECT (its receipt confirms everything sent before it) and close; bounded in time. */
  async close(): Promise<void> {
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    const graceful = this.client.deactivate();
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS);
    });
    const outcome = await Promise.race([graceful, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') await this.client.deactivate({ force: true });
  }
}
