/**
 * The Stompede client: one logical connection that survives socket losses.
 * Each connection attempt is a fresh @stomp/stompjs `Client` (stompjs does
 * all STOMP framing); this class owns what outlives a socket: the
 * subscriptions, the offline queue, receipts, request/reply, session
 * resumption and the reconnect loop.
 */
import { Client, type IFrame, type IMessage } from '@stomp/stompjs';
import { StompedeError } from './errors.js';
import { encodeBody, type ReceivedMessage, toReceived } from './message.js';
import {
  backoffDelay,
  type ClientState,
  type ConnectOptions,
  DEFAULTS,
  type ErrorListener,
  HISTORY_HEADERS,
  historyHeaders,
  type MessageHandler,
  type PublishOptions,
  type RequestOptions,
  type ResolvedOptions,
  resolveConnectOptions,
  type StateInfo,
  type StateListener,
  type SubscribeOptions,
  subscribeHeaders,
} from './options.js';
import {
  defaultWebSocket,
  describeClose,
  describeSocketError,
  STOMP_SUBPROTOCOLS,
  type WebSocketConstructor,
  type WebSocketLike,
} from './websocket.js';

/** What `subscribe()` returns. */
export interface SubscriptionHandle {
  /** The STOMP subscription id; the same across reconnects. */
  readonly id: string;
  /** Stop receiving (UNSUBSCRIBE). For a durable subscription this detaches; the broker keeps it. */
  unsubscribe(): void;
}

type AckMode = 'auto' | 'client' | 'client-individual';

interface SubscriptionState {
  readonly id: string;
  readonly destination: string;
  readonly handler: MessageHandler;
  readonly ackMode: AckMode;
  /** SUBSCRIBE headers without history. */
  readonly headers: Record<string, string>;
  /** The history the subscription first asked for, as headers; null for none. */
  readonly history: Record<string, string> | null;
  /** message-id of the last message handed to the handler (history subscriptions resume after it). */
  lastMessageId: string | undefined;
  /** The broker's current session has this subscription (sent on it, or restored by resumption). */
  known: boolean;
  readonly seen: RecentIds;
}

/** A frame to send now, or once reconnected (the offline queue). */
interface Outgoing {
  send(stomp: Client): void;
  fail(error: Error): void;
}

interface PendingRequest {
  resolve(message: ReceivedMessage): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
  /** The session epoch the request went out on; -1 while still queued. */
  epoch: number;
}

interface PendingAck {
  kind: 'ack' | 'nack';
  ackId: string;
  subscriptionId: string;
}

/**
 * The last `size` message-ids a subscription delivered, each with the
 * session epoch it came in (or NACKED once the application refused it),
 * for dropping duplicates.
 */
class RecentIds {
  private readonly seen = new Map<string, number>();

  constructor(private readonly size: number) {}

  get(id: string): number | undefined {
    return this.seen.get(id);
  }

  set(id: string, value: number): void {
    this.seen.delete(id);
    this.seen.set(id, value);
    if (this.seen.size > this.size) this.seen.delete(this.seen.keys().next().value!);
  }
}

/** RecentIds value of a message the application NACKed: its redelivery is expected. */
const NACKED = -1;

/** A connected client. Create one with `connect()`. */
export class StompedeClient {
  private readonly options: ResolvedOptions;
  private readonly stateListeners = new Set<StateListener>();
  private readonly errorListeners = new Set<ErrorListener>();
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

  private readonly subscriptions = new Map<string, SubscriptionState>();
  private readonly unsubscribedOffline = new Set<string>();
  private nextSubscription = 0;
  private replySubscribed = false;

  private readonly outbox: Outgoing[] = [];
  private pendingAcks: PendingAck[] = [];
  private readonly receipts = new Map<
    string,
    { resolve(): void; reject(error: Error): void; timer: ReturnType<typeof setTimeout> }
  >();
  private nextReceipt = 0;
  private readonly requests = new Map<string, PendingRequest>();
  private nextCorrelation = 0;
  private readonly instanceId = randomId();

  private constructor(options: ResolvedOptions) {
    this.options = options;
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
    if (event === 'state') {
      const fn = listener as StateListener;
      this.stateListeners.add(fn);
      return () => this.stateListeners.delete(fn);
    }
    if (event === 'error') {
      const fn = listener as ErrorListener;
      this.errorListeners.add(fn);
      return () => this.errorListeners.delete(fn);
    }
    throw new TypeError(`unknown event ${String(event)}: use 'state' or 'error'`);
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
    const headers = subscribeHeaders(options, this.options.clientId);
    let history = options.history === undefined ? null : historyHeaders(options.history);
    for (const name of HISTORY_HEADERS) {
      const value = headers[name];
      if (value === undefined) continue;
      delete headers[name];
      if (options.history === undefined) history = { ...history, [name]: value };
    }
    const id = headers.id ?? `sub-${++this.nextSubscription}`;
    delete headers.id;
    if (this.subscriptions.has(id) || id === DEFAULTS.replySubscriptionId) {
      throw new Error(`subscribe(): subscription id ${id} is already in use`);
    }
    const subscription: SubscriptionState = {
      id,
      destination,
      handler,
      // subscribeHeaders put options.ack there; a raw `ack` header counts the same.
      ackMode: (headers.ack ?? 'auto') as AckMode,
      headers,
      history,
      lastMessageId: undefined,
      known: false,
      seen: new RecentIds(DEFAULTS.dedupeWindow),
    };
    this.subscriptions.set(id, subscription);
    this.unsubscribedOffline.delete(id);
    if (this.live) this.sendSubscribe(this.live, subscription);
    return { id, unsubscribe: () => this.unsubscribe(id) };
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
          this.sendWithReceipt(stomp, destination, headers, encoded, timeoutMs).then(
            resolve,
            reject,
          );
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
    const correlationId = `${this.instanceId}-${++this.nextCorrelation}`;
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
      const pending: PendingRequest = {
        resolve,
        reject,
        epoch: -1,
        timer: setTimeout(() => {
          this.requests.delete(correlationId);
          reject(new Error(`no reply from ${destination} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.requests.set(correlationId, pending);
      this.submit({
        send: (stomp) => {
          if (!this.requests.has(correlationId)) return; // timed out while queued
          this.ensureReplySubscription(stomp);
          pending.epoch = this.epoch;
          stomp.publish({ destination, headers, ...encoded });
        },
        fail: (error) => {
          clearTimeout(pending.timer);
          this.requests.delete(correlationId);
          reject(error);
        },
      });
    });
  }

  /** Round-trip time to the broker in ms, measured with a receipt (for a latency indicator). */
  async ping(): Promise<number> {
    const live = this.live;
    if (live === undefined) throw new Error(`ping(): not connected (${this.currentState})`);
    const start = now();
    await this.sendWithReceipt(
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
    if (resumed) {
      // The broker kept the session: subscriptions, unacked and missed messages. Only
      // catch up on what changed here while away.
      for (const id of this.unsubscribedOffline) stomp.unsubscribe(id);
      for (const ack of this.pendingAcks) stomp[ack.kind](ack.ackId, ack.subscriptionId);
    } else {
      this.epoch++;
      this.lastReceivedId = undefined;
      this.replySubscribed = false;
      for (const subscription of this.subscriptions.values()) subscription.known = false;
      for (const [correlationId, request] of this.requests) {
        if (request.epoch < 0) continue;
        // The reply-to named the previous connection's temp queue: no reply can arrive.
        this.requests.delete(correlationId);
        clearTimeout(request.timer);
        request.reject(new Error('the connection was lost before the reply arrived'));
      }
    }
    this.unsubscribedOffline.clear();
    this.pendingAcks = [];
    for (const subscription of this.subscriptions.values()) {
      if (!subscription.known) this.sendSubscribe(stomp, subscription);
    }
    // Subscriptions first, then the queued messages in order, before anyone can publish anew.
    while (this.outbox.length > 0 && this.live === stomp) this.sendNow(stomp, this.outbox.shift()!);
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
    const receipt = headers['receipt-id'];
    const waiter = receipt === undefined ? undefined : this.receipts.get(receipt);
    if (waiter !== undefined) {
      this.receipts.delete(receipt!);
      waiter.reject(error);
    }
    this.emitError(error);
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
    this.failReceipts(new Error(`no RECEIPT: ${failure.message}`));
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
    for (const item of this.outbox.splice(0)) item.fail(failure);
    for (const request of this.requests.values()) {
      clearTimeout(request.timer);
      request.reject(failure);
    }
    this.requests.clear();
    this.failReceipts(failure);
    this.pendingAcks = [];
    if (this.currentState !== 'closed') {
      this.setState('closed', reason === undefined ? {} : { error: reason });
    }
    initial?.reject(failure);
  }

  // ── sending ─────────────────────────────────────────────────────────────

  /** Send now if connected and nothing is queued ahead; else queue or reject per `offline`. */
  private submit(item: Outgoing): void {
    if (this.isClosed()) {
      item.fail(new Error('the client is closed'));
      return;
    }
    const live = this.live;
    if (live !== undefined && this.outbox.length === 0) {
      this.sendNow(live, item);
      return;
    }
    const { mode, maxQueued } = this.options.offline;
    if (mode === 'reject') {
      item.fail(new Error(`not connected (${this.currentState}): offline mode is 'reject'`));
    } else if (this.outbox.length >= maxQueued) {
      item.fail(new Error(`offline queue is full (${maxQueued} messages)`));
    } else {
      this.outbox.push(item);
    }
  }

  private sendNow(stomp: Client, item: Outgoing): void {
    try {
      item.send(stomp);
    } catch (error) {
      item.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private sendWithReceipt(
    stomp: Client,
    destination: string,
    headers: Record<string, string>,
    body: ReturnType<typeof encodeBody>,
    timeoutMs: number,
  ): Promise<void> {
    const receipt = `${this.instanceId}-r${++this.nextReceipt}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.receipts.delete(receipt);
        reject(new Error(`no RECEIPT for the SEND to ${destination} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.receipts.set(receipt, {
        resolve,
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
        timer,
      });
      stomp.watchForReceipt(receipt, () => {
        const waiter = this.receipts.get(receipt);
        if (waiter === undefined) return;
        this.receipts.delete(receipt);
        clearTimeout(waiter.timer);
        waiter.resolve();
      });
      stomp.publish({ destination, headers: { ...headers, receipt }, ...body });
    });
  }

  private failReceipts(error: Error): void {
    const waiters = [...this.receipts.values()];
    this.receipts.clear();
    for (const waiter of waiters) waiter.reject(error);
  }

  // ── receiving ───────────────────────────────────────────────────────────

  private sendSubscribe(stomp: Client, subscription: SubscriptionState): void {
    const headers: Record<string, string> = { ...subscription.headers, id: subscription.id };
    if (subscription.history !== null) {
      Object.assign(
        headers,
        subscription.lastMessageId === undefined
          ? subscription.history
          : { 'x-history-after': subscription.lastMessageId },
      );
    }
    stomp.subscribe(subscription.destination, (message) => this.dispatch(message), headers);
    subscription.known = true;
  }

  private unsubscribe(id: string): void {
    const subscription = this.subscriptions.get(id);
    if (subscription === undefined) return;
    this.subscriptions.delete(id);
    const live = this.live;
    if (live !== undefined) {
      ignoreLostConnection(() => live.unsubscribe(id));
    } else if (subscription.known && !this.isClosed()) {
      // A resumed session would still have it: unsubscribe once reconnected.
      this.unsubscribedOffline.add(id);
    }
  }

  private ensureReplySubscription(stomp: Client): void {
    if (this.replySubscribed) return;
    stomp.subscribe(DEFAULTS.replyQueue, (message) => this.dispatch(message), {
      id: DEFAULTS.replySubscriptionId,
    });
    this.replySubscribed = true;
  }

  private dispatch(message: IMessage): void {
    const subscriptionId = message.headers.subscription ?? '';
    this.lastReceivedId = message.headers['message-id'] ?? this.lastReceivedId;
    if (subscriptionId === DEFAULTS.replySubscriptionId) {
      this.onReply(message);
      return;
    }
    const subscription = this.subscriptions.get(subscriptionId);
    if (subscription === undefined) return; // unsubscribed meanwhile
    const messageId = message.headers['message-id'];
    if (messageId !== undefined) {
      const seenIn = subscription.seen.get(messageId);
      if (seenIn !== undefined) {
        // Seen before: a duplicate, unless it is a redelivery the application must handle again
        // (it NACKed the message, or its ack belonged to a session that is gone).
        const owed =
          subscription.ackMode !== 'auto' &&
          message.headers.redelivered === 'true' &&
          (seenIn === NACKED || seenIn < this.epoch);
        if (!owed) return;
      }
      subscription.seen.set(messageId, this.epoch);
      if (subscription.history !== null) subscription.lastMessageId = messageId;
    }
    const epoch = this.epoch;
    const ackId =
      this.live?.connectedVersion === '1.2' ? message.headers.ack : message.headers['message-id'];
    const received = toReceived(
      message,
      () => this.acknowledge('ack', epoch, ackId, subscriptionId),
      () => {
        if (messageId !== undefined) subscription.seen.set(messageId, NACKED);
        this.acknowledge('nack', epoch, ackId, subscriptionId);
      },
    );
    try {
      subscription.handler(received);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      if (this.errorListeners.size > 0) this.emitError(failure);
      else reportLater(failure);
    }
  }

  private acknowledge(
    kind: 'ack' | 'nack',
    epoch: number,
    ackId: string | undefined,
    subscriptionId: string,
  ): void {
    // A message of an earlier session is the broker's to redeliver; acking it now would be an error.
    if (ackId === undefined || epoch !== this.epoch || this.isClosed()) return;
    const live = this.live;
    if (live !== undefined) ignoreLostConnection(() => live[kind](ackId, subscriptionId));
    else this.pendingAcks.push({ kind, ackId, subscriptionId });
  }

  private onReply(message: IMessage): void {
    const correlationId = message.headers['correlation-id'];
    const request = correlationId === undefined ? undefined : this.requests.get(correlationId);
    if (request === undefined) return; // late (timed out) or not ours
    this.requests.delete(correlationId!);
    clearTimeout(request.timer);
    request.resolve(
      toReceived(
        message,
        () => {},
        () => {},
      ),
    );
  }

  // ── events ──────────────────────────────────────────────────────────────

  private isClosed(): boolean {
    return this.closing || this.currentState === 'closed';
  }

  private setState(state: ClientState, info: StateInfo): void {
    this.currentState = state;
    for (const listener of [...this.stateListeners]) {
      try {
        listener(state, info);
      } catch (error) {
        reportLater(error);
      }
    }
  }

  private emitError(error: Error): void {
    for (const listener of [...this.errorListeners]) {
      try {
        listener(error);
      } catch (thrown) {
        reportLater(thrown);
      }
    }
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

/** Surface an exception from application code without breaking the client (like DOM event listeners). */
function reportLater(error: unknown): void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (typeof report === 'function') report(error);
  else
    setTimeout(() => {
      throw error;
    }, 0);
}

/** STOMP 1.2 header unescaping (backslash-c → colon and so on); undefined escapes stay as written. */
function unescapeHeader(value: string): string {
  return value.replace(/\\([\\cnr])/g, (_, c: string) =>
    c === 'c' ? ':' : c === 'n' ? '\n' : c === 'r' ? '\r' : '\\',
  );
}

/**
 * Run a frame-sending call whose connection may have just dropped: stompjs
 * throws then, and the broker settles it (an unacked message is redelivered).
 */
function ignoreLostConnection(send: () => void): void {
  try {
    send();
  } catch {
    // the connection is gone; see above
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function now(): number {
  return typeof performance === 'undefined' ? Date.now() : performance.now();
}

function randomId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID().slice(0, 13);
  return Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
}
