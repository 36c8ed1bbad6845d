/**
 * Every option of stompede-client, documented, with its default in one
 * place (`DEFAULTS`) and its validation in one place (`resolveConnectOptions`).
 */
import type { ReceivedMessage } from './message.js';
import type { WebSocketConstructor } from './websocket.js';

/** Connection states, in the order a client normally goes through them. */
export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** What a `state` event says besides the new state. */
export interface StateInfo {
  /** Why the connection ended or an attempt failed: the broker's ERROR text, or the socket's reason. */
  error?: string;
  /** With `reconnecting`: the number of the attempt that comes next (1, 2, …). */
  attempt?: number;
  /** With `reconnecting`: how long until that attempt, ms. */
  delayMs?: number;
  /**
   * With `connected` after a reconnect: true when the broker resumed the
   * previous session (subscriptions, unacknowledged and missed messages kept),
   * false when the client had to subscribe again.
   */
  resumed?: boolean;
}

export type StateListener = (state: ClientState, info: StateInfo) => void;
export type ErrorListener = (error: Error) => void;

/** Exponential backoff between reconnect attempts: `initialDelayMs × factor^(attempt-1)`, capped, ± jitter. */
export interface ReconnectOptions {
  /** Wait before the first reconnect attempt, ms. Default 500. */
  initialDelayMs?: number;
  /** Longest wait between attempts, ms. Default 30000. */
  maxDelayMs?: number;
  /** Each further attempt waits this many times longer. Default 2. */
  factor?: number;
  /** Random spread as a fraction of the delay: 0.3 waits 70 %–130 % of it. Default 0.3. */
  jitter?: number;
}

/** What `publish()` (and `request()`) do while the client is reconnecting. */
export interface OfflineOptions {
  /**
   * `queue`: keep the message and send it, in order, once reconnected (its
   * promise settles then). `reject`: fail the call at once.
   */
  mode: 'queue' | 'reject';
  /** Most messages kept while offline; a publish beyond that is rejected. Default 1000. */
  maxQueued?: number;
}

export interface ConnectOptions {
  /** Broker WebSocket URL, e.g. `ws://localhost:61614/stomp`. */
  url: string;
  /** STOMP `login` header. */
  login?: string;
  /** STOMP `passcode` header. */
  passcode?: string;
  /** A JWT: sent as `passcode` (overriding `passcode`), with `login` 'jwt' unless `login` is given. */
  token?: string;
  /**
   * ActiveMQ `client-id` of this connection; needed for durable subscriptions
   * (`durableName`). The broker allows one live connection per client-id.
   */
  clientId?: string;
  /**
   * Heart-beat intervals, ms: one number for both directions, or each one.
   * 0 disables a direction. Default 10000.
   */
  heartbeat?: number | { incoming: number; outgoing: number };
  /**
   * Reconnect after the connection is lost (not after a failed first
   * connect: `connect()` rejects then). `true` uses the default backoff,
   * `false` closes the client instead. Default true.
   */
  reconnect?: boolean | ReconnectOptions;
  /** Publishes while reconnecting: queued (bounded) and flushed on reconnect, or rejected at once. Default `{ mode: 'queue', maxQueued: 1000 }`. */
  offline?: OfflineOptions;
  /** How long one connection attempt may take until CONNECTED, ms. Default 10000. */
  connectTimeoutMs?: number;
  /** WebSocket implementation. Default `globalThis.WebSocket`, else (in Node) the optional `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** Extra CONNECT headers (e.g. `x-compat`). The options above take precedence. */
  connectHeaders?: Record<string, string>;
  /** Listen to `state` events from the very first (`connecting`), including a failed first connect. */
  onState?: StateListener;
  /** Listen to `error` events from the start (see `StompedeClient.on('error')`). */
  onError?: ErrorListener;
}

/** Which retained topic messages a subscription replays before live ones. */
export type HistoryRequest = number | { last: number } | { since: number } | 'all';

export interface SubscribeOptions {
  /** Acknowledgement mode. Default `auto` (the broker considers a message acknowledged once sent). */
  ack?: 'auto' | 'client' | 'client-individual';
  /** SQL-92 message selector over headers, e.g. `level = 'error'`. */
  selector?: string;
  /** Most unacknowledged messages in flight (with `client` acks), sent as `prefetch-count`. */
  prefetch?: number;
  /**
   * Make this a durable topic subscription with this name (ActiveMQ
   * `activemq.subscriptionName`); requires the connect option `clientId`.
   */
  durableName?: string;
  /**
   * Replay retained topic history first: the last N messages (`N` or
   * `{ last: N }`), those published since a time (`{ since: msEpoch }`), or
   * everything retained (`'all'`). After a reconnect the subscription
   * continues after the last message it delivered, with no gap and no duplicate.
   */
  history?: HistoryRequest;
  /** Extra SUBSCRIBE headers. */
  headers?: Record<string, string>;
}

export interface PublishOptions {
  /** Extra SEND headers. */
  headers?: Record<string, string>;
  /** Mark the message persistent: stored before it is confirmed, on a persistent broker store. */
  persistent?: boolean;
  /**
   * Resolve only when the broker's RECEIPT arrives; reject with the broker's
   * ERROR text, or on timeout. Default false (resolves once written to the socket).
   */
  receipt?: boolean;
  /** RECEIPT wait when `receipt` is set, ms. Default 10000. */
  timeoutMs?: number;
}

export interface RequestOptions {
  /** Wait for the reply, ms. Default 10000. */
  timeoutMs?: number;
  /** Extra SEND headers. */
  headers?: Record<string, string>;
}

export type MessageHandler = (message: ReceivedMessage) => void;

/** Every default of this package. */
export const DEFAULTS = Object.freeze({
  heartbeatMs: 10_000,
  reconnect: Object.freeze({ initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.3 }),
  offline: Object.freeze({ mode: 'queue' as const, maxQueued: 1000 }),
  connectTimeoutMs: 10_000,
  /** RECEIPT wait of `publish(…, { receipt: true })` and of `ping()`. */
  receiptTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  /** How long `close()` waits for the broker to confirm DISCONNECT before dropping the socket. */
  closeTimeoutMs: 3_000,
  /** Message-ids remembered per subscription to drop duplicates. */
  dedupeWindow: 256,
  /** `login` sent with a `token` when no `login` is given. */
  tokenLogin: 'jwt',
  /** The temp queue replies to `request()` come back on (private to the connection). */
  replyQueue: '/temp-queue/stompede-replies',
  replySubscriptionId: 'stompede-replies',
  /** Where `ping()` sends: a temp topic nobody subscribes to, so the message goes nowhere. */
  pingDestination: '/temp-topic/stompede-ping',
});

export interface ResolvedOptions {
  url: string;
  connectHeaders: Record<string, string>;
  clientId: string | undefined;
  heartbeat: { incoming: number; outgoing: number };
  reconnect: Required<ReconnectOptions> | null;
  offline: Required<OfflineOptions>;
  connectTimeoutMs: number;
  WebSocket: WebSocketConstructor | undefined;
}

/** Apply defaults and check every value; throws TypeError naming the bad option. */
export function resolveConnectOptions(options: ConnectOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('connect() needs an options object with at least { url }');
  }
  if (typeof options.url !== 'string' || !/^wss?:\/\//i.test(options.url)) {
    throw new TypeError(
      `connect(): url must be a ws:// or wss:// URL, got ${JSON.stringify(options.url)}`,
    );
  }
  const heartbeat =
    typeof options.heartbeat === 'object'
      ? { incoming: options.heartbeat.incoming, outgoing: options.heartbeat.outgoing }
      : {
          incoming: options.heartbeat ?? DEFAULTS.heartbeatMs,
          outgoing: options.heartbeat ?? DEFAULTS.heartbeatMs,
        };
  nonNegative('heartbeat.incoming', heartbeat.incoming);
  nonNegative('heartbeat.outgoing', heartbeat.outgoing);

  let reconnect: Required<ReconnectOptions> | null = null;
  if (options.reconnect !== false) {
    const given = typeof options.reconnect === 'object' ? options.reconnect : {};
    reconnect = { ...DEFAULTS.reconnect };
    for (const key of Object.keys(reconnect) as (keyof ReconnectOptions)[]) {
      const value = given[key];
      if (value !== undefined) reconnect[key] = nonNegative(`reconnect.${key}`, value);
    }
    if (reconnect.factor < 1) throw new TypeError('connect(): reconnect.factor must be at least 1');
    if (reconnect.jitter > 1) throw new TypeError('connect(): reconnect.jitter must be at most 1');
  }

  const mode = options.offline?.mode ?? DEFAULTS.offline.mode;
  if (mode !== 'queue' && mode !== 'reject') {
    throw new TypeError(`connect(): offline.mode must be 'queue' or 'reject', got ${String(mode)}`);
  }
  const offline = {
    mode,
    maxQueued: wholeNumber(
      'offline.maxQueued',
      options.offline?.maxQueued ?? DEFAULTS.offline.maxQueued,
    ),
  };

  const connectHeaders: Record<string, string> = { ...options.connectHeaders };
  const login = options.login ?? (options.token === undefined ? undefined : DEFAULTS.tokenLogin);
  const passcode = options.token ?? options.passcode;
  if (login !== undefined) connectHeaders.login = login;
  if (passcode !== undefined) connectHeaders.passcode = passcode;
  if (options.clientId !== undefined) connectHeaders['client-id'] = options.clientId;

  return {
    url: options.url,
    connectHeaders,
    clientId: options.clientId,
    heartbeat,
    reconnect,
    offline,
    connectTimeoutMs: positive(
      'connectTimeoutMs',
      options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    ),
    WebSocket: options.WebSocket,
  };
}

/**
 * Wait before reconnect attempt `attempt` (1-based): `initialDelayMs ×
 * factor^(attempt-1)` capped at `maxDelayMs`, then spread by ± `jitter`.
 */
export function backoffDelay(
  attempt: number,
  options: Required<ReconnectOptions>,
  random: () => number = Math.random,
): number {
  const exponential = options.initialDelayMs * options.factor ** Math.max(0, attempt - 1);
  const capped = Math.min(options.maxDelayMs, exponential);
  const spread = 1 + options.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(capped * spread));
}

/** SUBSCRIBE headers for the options, without history (the client adds that per connection). */
export function subscribeHeaders(
  options: SubscribeOptions,
  clientId: string | undefined,
): Record<string, string> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.ack !== undefined) headers.ack = options.ack;
  if (options.selector !== undefined) headers.selector = options.selector;
  if (options.prefetch !== undefined) {
    headers['prefetch-count'] = String(Math.floor(positive('prefetch', options.prefetch)));
  }
  if (options.durableName !== undefined) {
    if (clientId === undefined) {
      throw new TypeError(
        'subscribe(): durableName needs a client-id: pass clientId to connect() (ActiveMQ durable subscriptions belong to one)',
      );
    }
    headers['activemq.subscriptionName'] = options.durableName;
  }
  return headers;
}

/** SUBSCRIBE headers that ask for topic history, whether from `history` or given directly. */
export const HISTORY_HEADERS = [
  'x-history-last',
  'x-history-since',
  'x-history-after',
  'x-stream-offset',
] as const;

/** The SUBSCRIBE headers a `history` option stands for. */
export function historyHeaders(history: HistoryRequest): Record<string, string> {
  if (history === 'all') return { 'x-stream-offset': 'first' };
  if (typeof history === 'number') {
    return { 'x-history-last': String(wholeNumber('history', history)) };
  }
  if (typeof history === 'object' && history !== null) {
    if ('last' in history) {
      return { 'x-history-last': String(wholeNumber('history.last', history.last)) };
    }
    if ('since' in history) {
      return { 'x-history-since': String(wholeNumber('history.since', history.since)) };
    }
  }
  throw new TypeError(
    `subscribe(): history must be a number, { last }, { since } or 'all', got ${JSON.stringify(history)}`,
  );
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name} must be a finite number ≥ 0, got ${String(value)}`);
  }
  return value;
}

function wholeNumber(name: string, value: number): number {
  return Math.floor(nonNegative(name, value));
}

function positive(name: string, value: number): number {
  if (nonNegative(name, value) === 0) throw new TypeError(`${name} must be greater than 0`);
  return value;
}
