/**
 * The Stompede client: one logical connection that survives socket losses.
 * Each connection attempt is a fresh @stomp/stompjs `Client` (stompjs does
 * all STOMP framing); this class owns the reconnect loop and session
 * resumption, and hands what outlives a socket to its parts: the
 * subscriptions (subscriptions.ts), the offline queue (outbox.ts), receipts
 * (receipts.ts) and request/reply (requests.ts).
 */
import { Client, type IFrame, type IMessage } from '@stomp/stompjs';
import { now, randomId } from './environment.js';
import { StompedeError } from './errors.js';
import { ClientEvents } from './events.js';
import { encodeBody, type ReceivedMessage } from './message.js';
import {
  backoffDelay,
  type ClientState,
  type ConnectOptions,
  DEFAULTS,
  type ErrorListener,
  type MessageHandler,
  type PublishOptions,
  type RequestOptions,
  type ResolvedOptions,
  resolveConnectOptions,
  type StateInfo,
  type StateListener,
  type SubscribeOptions,
} from './options.js';
import { Outbox, type Outgoing, sendNow } from './outbox.js';
import { Receipts } from './receipts.js';
import { PendingRequests } from './requests.js';
import { type SubscriptionHandle, Subscriptions } from './subscriptions.js';
import {
  defaultWebSocket,
  describeClose,
  describeSocketError,
  STOMP_SUBPROTOCOLS,
  type WebSocketConstructor,
  type WebSocketLike,
} from './websocket.js';

export type { SubscriptionHandle } from './subscriptions.js';

/** A connected client. Create one with `connect()`. */
export class StompedeClient {
  private readonly options: ResolvedOptions;
  private readonly events = new ClientEvents();
  private currentState: ClientState = 'connecting';
  private WebSocketImpl: WebSocketConstructor | undefined;

  /** The stompjs client of the current attempt or connection. */
  private stomp: Client | undefined;
  /** Set once `stomp` got CONNECTED; cleared when it ends. */
  private live: Client | undefined;
  private attemptTimer: ReturnType<typeof setTimeout> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  /** Why the current attempt or connection failed, when known better than the socket's close. */
  private failure: Error | undefined;
  private socketError: string | undefined;

  private everConnected = false;
  private closing = false;
  private initial: { resolve(): void; reject(error: Error): void } | undefined;

  private resumeToken: string | undefined;
  /** message-id of the last MESSAGE received on the connection (CONNECT `x-resume-after`). */
  private lastReceivedId: string | undefined;
  /** Bumped on every CONNECTED that is not a resumption: acks and replies of older epochs are void. */
  private epoch = 0;

  private readonly instanceId = randomId();
  /** Every MESSAGE, of the application's subscriptions and of the reply queue, enters here. */
  private readonly onMessage = (message: IMessage): void => this.dispatch(message);
  private readonly subscriptions: Subscriptions;
  private readonly outbox: Outbox;
  private readonly receipts = new Receipts(this.instanceId);
  private readonly requests = new PendingRequests(this.instanceId, this.onMessage);

  private constructor(options: ResolvedOptions) {
    this.options = options;
    this.outbox = new Outbox(options.offline);
    this.subscriptions = new Subscriptions(
      {
        live: () => this.live,
        epoch: () => this.epoch,
        isClosed: () => this.isClosed(),
        onMessage: this.onMessage,
        handlerFailed: (error) => this.events.handlerFailed(error),
      },
      options.clientId,
    );
  }

  /** Open a connection; resolves once the broker answered CONNECTED (see `connect()`). */
  static async connect(options: ConnectOptions): Promise<StompedeClient> {
    const client = new StompedeClient(resolveConnectOptions(options));
    if (options.onState) client.on('state', options.onState);
    if (options.onError) client.on('error', options.onError);
    await client.start();
    return client;
  }

  /** `connecting` → `connected` ⇄ `reconnecting` → `closed`. */
  get state(): ClientState {
    return this.currentState;
  }

  /** True while a connection is up. */
  get connected(): boolean {
    return this.live !== undefined;
  }

  /**
   * `state`: every change of `state`, and each further reconnect attempt
   * (info says why, which attempt comes next and when). `error`: every
   * ERROR frame from the broker, and exceptions thrown by message handlers.
   * Returns a function that removes the listener.
   */
  on(event: 'state', listener: StateListener): () => void;
  on(event: 'error', listener: ErrorListener): () => void;
  on(event: 'state' | 'error', listener: StateListener | ErrorListener): () => void {
    return this.events.on(event, listener);
  }

  /**
   * Receive messages from `destination` until `unsubscribe()`. The
   * subscription survives reconnects (same id); with `history`, it continues
   * after the last message it delivered, so the handler sees no gap and no
   * duplicate.
   */
  subscribe(
    destination: string,
    handler: MessageHandler,
    options: SubscribeOptions = {},
  ): SubscriptionHandle {
    if (this.isClosed()) throw new Error('subscribe(): the client is closed');
    if (typeof handler !== 'function')
      throw new TypeError('subscribe(): handler must be a function');
    return this.subscriptions.add(destination, handler, options);
  }

  /**
   * Send a message: a string as is, a Uint8Array as bytes, any other object
   * as JSON (`content-type: application/json`). Resolves once written, or
   * with `receipt: true` once the broker confirmed it (rejects with the
   * broker's ERROR text, or after `timeoutMs`). While reconnecting the
   * message waits in the offline queue (or is rejected, per `offline`).
   */
  publish(
    destination: string,
    body: string | object | Uint8Array,
    options: PublishOptions = {},
  ): Promise<void> {
    const headers: Record<string, string> = { ...options.headers };
    let encoded: ReturnType<typeof encodeBody>;
    try {
      encoded = encodeBody(body, headers);
    } catch (error) {
      return Promise.reject(error);
    }
    if (options.persistent) headers.persistent = 'true';
    const timeoutMs = options.timeoutMs ?? DEFAULTS.receiptTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      this.submit({
        send: (stomp) => {
          if (!options.receipt) {
            stomp.publish({ destination, headers, ...encoded });
            resolve();
            return;
          }
          this.receipts.send(stomp, destination, headers, encoded, timeoutMs).then(resolve, reject);
        },
        fail: reject,
      });
    });
  }

  /**
   * Request/reply: send with `reply-to` (this connection's temp queue) and a
   * unique `correlation-id`; resolves with the first reply carrying that
   * correlation-id, or rejects after `timeoutMs`. The responder sends its
   * reply to the `reply-to` it received and copies `correlation-id`.
   */
  request(
    destination: string,
    body: string | object | Uint8Array,
    options: RequestOptions = {},
  ): Promise<ReceivedMessage> {
    const correlationId = this.requests.nextCorrelationId();
    const headers: Record<string, string> = {
      ...options.headers,
      'reply-to': DEFAULTS.replyQueue,
      'correlation-id': correlationId,
    };
    let encoded: ReturnType<typeof encodeBody>;
    try {
      encoded = encodeBody(body, headers);
    } catch (error) {
      return Promise.reject(error);
    }
    const timeoutMs = options.timeoutMs ?? DEFAULTS.requestTimeoutMs;
    return new Promise<ReceivedMessage>((resolve, reject) => {
      this.requests.add(correlationId, destination, timeoutMs, resolve, reject);
      this.submit({
        send: (stomp) => {
          // False when it timed out while queued.
          if (!this.requests.sending(correlationId, stomp, this.epoch)) return;
          stomp.publish({ destination, headers, ...encoded });
        },
        fail: (error) => this.requests.fail(correlationId, error),
      });
    });
  }

  /** Round-trip time to the broker in ms, measured with a receipt (for a latency indicator). */
  async ping(): Promise<number> {
    const live = this.live;
    if (live === undefined) throw new Error(`ping(): not connected (${this.currentState})`);
    const start = now();
    await this.receipts.send(
      live,
      DEFAULTS.pingDestination,
      {},
      { body: '' },
      DEFAULTS.receiptTimeoutMs,
    );
    return now() - start;
  }

  /**
   * Disconnect gracefully (DISCONNECT, waiting for the broker's receipt a
   * short while) and stop reconnecting. Queued publishes and pending
   * requests are rejected. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closing || this.currentState === 'closed') return;
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.attemptTimer);
    const stomp = this.stomp;
    if (stomp !== undefined) {
      if (stomp.connected) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timedOut = await Promise.race([
          stomp.deactivate().then(() => false),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), DEFAULTS.closeTimeoutMs);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) await stomp.deactivate({ force: true });
      } else {
        await stomp.deactivate({ force: true });
      }
    }
    this.stomp = undefined;
    this.live = undefined;
    this.resumeToken = undefined;
    this.finish(new Error('the client was closed'), undefined);
  }

  // ── connection lifecycle ────────────────────────────────────────────────

  private async start(): Promise<void> {
    this.setState('connecting', {});
    try {
      this.WebSocketImpl = this.options.WebSocket ?? (await defaultWebSocket());
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.finish(failure, failure.message);
      throw failure;
    }
    await new Promise<void>((resolve, reject) => {
      this.initial = { resolve, reject };
      this.openConnection();
    });
  }

  private openConnection(): void {
    const { url, connectTimeoutMs, heartbeat } = this.options;
    this.failure = undefined;
    this.socketError = undefined;
    const connectHeaders = { ...this.options.connectHeaders };
    const resumeToken = this.resumeToken;
    if (resumeToken !== undefined) {
      connectHeaders['x-resume'] = resumeToken;
      if (this.lastReceivedId !== undefined) connectHeaders['x-resume-after'] = this.lastReceivedId;
    }
    let socket: WebSocketLike;
    try {
      socket = new this.WebSocketImpl!(url, STOMP_SUBPROTOCOLS);
    } catch (error) {
      this.failure = new Error(`cannot open a WebSocket to ${url}: ${errorText(error)}`);
      this.connectionEnded(undefined, undefined);
      return;
    }
    const stomp = new Client({
      webSocketFactory: () => socket,
      connectHeaders,
      heartbeatIncoming: heartbeat.incoming,
      heartbeatOutgoing: heartbeat.outgoing,
      // This class reconnects (with backoff and jitter); stompjs must not.
      reconnectDelay: 0,
      // A lost heart-beat drops the socket at once instead of waiting for a close handshake.
      discardWebsocketOnCommFailure: true,
      debug: () => {},
    });
    this.stomp = stomp;
    const current = () => this.stomp === stomp;
    stomp.onConnect = (frame) => {
      if (current()) this.onConnected(stomp, frame, resumeToken !== undefined);
    };
    stomp.onStompError = (frame) => {
      if (current()) this.onStompError(stomp, frame);
    };
    stomp.onWebSocketError = (event) => {
      if (current()) this.socketError ??= describeSocketError(event);
    };
    stomp.onWebSocketClose = (event) => {
      if (current()) this.connectionEnded(stomp, event);
    };
    stomp.onUnhandledMessage = (message) => {
      // Messages of subscriptions the broker restored on resumption reach stompjs unregistered.
      if (current()) this.dispatch(message);
    };
    this.attemptTimer = setTimeout(() => {
      if (!current() || this.live === stomp) return;
      this.failure = new Error(`no CONNECTED from ${url} within ${connectTimeoutMs} ms`);
      this.connectionEnded(stomp, undefined);
    }, connectTimeoutMs);
    stomp.activate();
  }

  private onConnected(stomp: Client, frame: IFrame, triedResume: boolean): void {
    clearTimeout(this.attemptTimer);
    const resumed = triedResume && frame.headers['x-resumed'] === 'true';
    this.resumeToken = frame.headers['x-resume-token'] || undefined;
    const reconnected = this.everConnected;
    this.everConnected = true;
    this.attempt = 0;
    this.live = stomp;
    // A resumed session kept subscriptions, unacked and missed messages: only what changed
    // here while away is sent. A new one voids older acks and replies, and subscribes anew.
    if (!resumed) {
      this.epoch++;
      this.lastReceivedId = undefined;
      this.requests.newSession();
    }
    this.subscriptions.connected(stomp, resumed);
    // Subscriptions first, then the queued messages in order, before anyone can publish anew.
    this.outbox.flush(stomp, () => this.live === stomp);
    this.setState('connected', reconnected ? { resumed } : {});
    const initial = this.initial;
    this.initial = undefined;
    initial?.resolve();
  }

  private onStompError(stomp: Client, frame: IFrame): void {
    const headers = { ...frame.headers };
    if (this.live !== stomp) {
      // stompjs unescapes headers only once CONNECTED said 1.2; a refused CONNECT is escaped already.
      for (const [name, value] of Object.entries(headers)) headers[name] = unescapeHeader(value);
    }
    const message = headers.message ?? 'the broker sent ERROR';
    const error = new StompedeError(message, headers, frame.body);
    this.failure ??= error;
    this.receipts.reject(headers['receipt-id'], error);
    this.events.emitError(error);
    // ERROR ends the connection; don't wait for the broker to close it.
    stomp.forceDisconnect();
  }

  /** The attempt or connection of `stomp` is over (socket closed, ERROR, or attempt timeout). */
  private connectionEnded(stomp: Client | undefined, closeEvent: unknown): void {
    clearTimeout(this.attemptTimer);
    const wasLive = stomp !== undefined && this.live === stomp;
    this.stomp = undefined;
    this.live = undefined;
    if (stomp !== undefined) void stomp.deactivate({ force: true });
    const detail = this.socketError ?? describeClose(closeEvent);
    const failure =
      this.failure ??
      new Error(
        wasLive
          ? `connection to ${this.options.url} lost: ${detail}`
          : `cannot connect to ${this.options.url}: ${detail}`,
      );
    this.failure = undefined;
    this.socketError = undefined;
    this.receipts.failAll(new Error(`no RECEIPT: ${failure.message}`));
    if (this.closing) return;
    const reconnect = this.options.reconnect;
    if (!this.everConnected || reconnect === null) {
      this.finish(failure, failure.message);
      return;
    }
    this.attempt++;
    const delayMs = backoffDelay(this.attempt, reconnect);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closing) this.openConnection();
    }, delayMs);
    this.setState('reconnecting', { error: failure.message, attempt: this.attempt, delayMs });
  }

  /** Closed for good: settle everything still waiting. */
  private finish(failure: Error, reason: string | undefined): void {
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.attemptTimer);
    const initial = this.initial;
    this.initial = undefined;
    this.outbox.failAll(failure);
    this.requests.failAll(failure);
    this.receipts.failAll(failure);
    this.subscriptions.closed();
    if (this.currentState !== 'closed') {
      this.setState('closed', reason === undefined ? {} : { error: reason });
    }
    initial?.reject(failure);
  }

  // ── sending and receiving ───────────────────────────────────────────────

  /** Send now if connected and nothing is queued ahead; else queue or reject per `offline`. */
  private submit(item: Outgoing): void {
    if (this.isClosed()) {
      item.fail(new Error('the client is closed'));
      return;
    }
    const live = this.live;
    if (live !== undefined && this.outbox.empty) {
      sendNow(live, item);
      return;
    }
    this.outbox.hold(item, this.currentState);
  }

  private dispatch(message: IMessage): void {
    const subscriptionId = message.headers.subscription ?? '';
    this.lastReceivedId = message.headers['message-id'] ?? this.lastReceivedId;
    if (subscriptionId === DEFAULTS.replySubscriptionId) this.requests.settle(message);
    else this.subscriptions.deliver(message, subscriptionId);
  }

  // ── events ──────────────────────────────────────────────────────────────

  private isClosed(): boolean {
    return this.closing || this.currentState === 'closed';
  }

  private setState(state: ClientState, info: StateInfo): void {
    this.currentState = state;
    this.events.emitState(state, info);
  }
}

/**
 * Open a connection to a Stompede broker and resolve once it answered
 * CONNECTED. A wrong URL or a refused login rejects (with the broker's ERROR
 * text) and ends in a `closed` state event; a connection lost later is
 * re-established automatically (see `reconnect`).
 */
export function connect(options: ConnectOptions): Promise<StompedeClient> {
  return StompedeClient.connect(options);
}

/** STOMP 1.2 header unescaping (backslash-c → colon and so on); undefined escapes stay as written. */
function unescapeHeader(value: string): string {
  return value.replace(/\\([\\cnr])/g, (_, c: string) =>
    c === 'c' ? ':' : c === 'n' ? '\n' : c === 'r' ? '\r' : '\\',
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
