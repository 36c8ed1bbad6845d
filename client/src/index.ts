/**
 * stompede-client: a small promise-based layer over @stomp/stompjs for the
 * Stompede broker. STOMP framing is stompjs's; this package adds typed,
 * awaitable connect/publish/subscribe and works in browsers and in Node
 * (where the optional `ws` package provides WebSocket).
 */
import { Client, type IFrame, type IMessage, type StompHeaders } from '@stomp/stompjs';

/** A WebSocket constructor: the browser's, or `ws`'s in Node. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocket;

export interface ConnectOptions {
  /** Broker WebSocket URL, e.g. `ws://localhost:61614/stomp`. */
  url: string;
  login?: string;
  passcode?: string;
  /** Heart-beat intervals in ms, both ways. Default 10000. 0 disables. */
  heartbeat?: number;
  /** How long to wait for CONNECTED, ms. Default 10000. */
  timeout?: number;
  /** WebSocket implementation; default: the global one, else the `ws` package. */
  WebSocket?: WebSocketConstructor;
}

export interface PublishOptions {
  headers?: Record<string, string>;
  /** Mark the message persistent (stored before it is acknowledged, on a persistent store). */
  persistent?: boolean;
  /** Resolve only when the broker's RECEIPT arrives. Default false (resolves once written). */
  receipt?: boolean;
  /** RECEIPT wait in ms when `receipt` is set. Default 10000. */
  timeout?: number;
}

export interface SubscribeOptions {
  ack?: 'auto' | 'client' | 'client-individual';
  /** Most unacknowledged messages in flight (client acks). */
  prefetch?: number;
  headers?: Record<string, string>;
}

export interface ReceivedMessage {
  destination: string;
  headers: Record<string, string>;
  /** Text body; parsed JSON when `content-type` is JSON. */
  body: unknown;
  /** The raw body text. */
  text: string;
  ack(): void;
  nack(): void;
}

export interface SubscriptionHandle {
  readonly id: string;
  unsubscribe(): void;
}

/** The subprotocols Stompede speaks, newest first. */
export const STOMP_SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

/** A connected client. Create one with `connect()`. */
export class StompedeClient {
  private readonly client: Client;
  private nextReceipt = 1;
  private readonly pendingReceipts = new Map<
    string,
    { resolve(): void; reject(error: Error): void }
  >();

  private constructor(client: Client) {
    this.client = client;
  }

  /** The broker sent ERROR or the socket closed: every receipt still awaited fails with that reason. */
  private failPending(error: Error, receiptId?: string): void {
    for (const [receipt, waiter] of this.pendingReceipts) {
      if (receiptId !== undefined && receiptId !== receipt) continue;
      this.pendingReceipts.delete(receipt);
      waiter.reject(error);
    }
  }

  /** Open a connection and resolve once the broker answered CONNECTED. */
  static async connect(options: ConnectOptions): Promise<StompedeClient> {
    const WebSocketImpl = options.WebSocket ?? (await defaultWebSocket());
    const heartbeat = options.heartbeat ?? 10_000;
    const client = new Client({
      webSocketFactory: () => new WebSocketImpl(options.url, STOMP_SUBPROTOCOLS),
      connectHeaders: {
        ...(options.login === undefined ? {} : { login: options.login }),
        ...(options.passcode === undefined ? {} : { passcode: options.passcode }),
      },
      heartbeatIncoming: heartbeat,
      heartbeatOutgoing: heartbeat,
      reconnectDelay: 0,
    });
    const stompede = new StompedeClient(client);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        void client.deactivate();
        reject(
          new Error(`no CONNECTED from ${options.url} within ${options.timeout ?? 10_000} ms`),
        );
      }, options.timeout ?? 10_000);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        void client.deactivate();
        reject(error);
      };
      client.onConnect = () => {
        clearTimeout(timer);
        resolve();
      };
      client.onStompError = (frame: IFrame) =>
        fail(new Error(frame.headers.message ?? 'broker refused the connection'));
      client.onWebSocketError = () => fail(new Error(`cannot open a WebSocket to ${options.url}`));
      client.onWebSocketClose = () =>
        fail(new Error(`connection to ${options.url} closed before CONNECTED`));
      client.activate();
    });
    client.onWebSocketError = () => {};
    client.onStompError = (frame: IFrame) => {
      const error = new Error(frame.headers.message ?? 'broker sent ERROR');
      // An ERROR ends the connection, so every awaited receipt fails, the named one first.
      stompede.failPending(error, frame.headers['receipt-id']);
      stompede.failPending(error);
    };
    client.onWebSocketClose = () =>
      stompede.failPending(new Error('connection closed before the RECEIPT arrived'));
    return stompede;
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Send a message. With `receipt: true`, resolves when the broker confirms it. */
  publish(destination: string, body: string | object, options: PublishOptions = {}): Promise<void> {
    const headers: StompHeaders = { ...options.headers };
    let text: string;
    if (typeof body === 'string') {
      text = body;
    } else {
      text = JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    if (options.persistent) headers.persistent = 'true';
    if (!options.receipt) {
      this.client.publish({ destination, body: text, headers });
      return Promise.resolve();
    }
    const receipt = `r-${this.nextReceipt++}`;
    headers.receipt = receipt;
    const wait = this.waitForReceipt(receipt, options.timeout ?? 10_000);
    this.client.publish({ destination, body: text, headers });
    return wait;
  }

  /** Receive messages from `destination` until the handle's `unsubscribe()`. */
  subscribe(
    destination: string,
    handler: (message: ReceivedMessage) => void,
    options: SubscribeOptions = {},
  ): SubscriptionHandle {
    const headers: StompHeaders = { ...options.headers };
    if (options.ack) headers.ack = options.ack;
    if (options.prefetch !== undefined) headers['prefetch-count'] = String(options.prefetch);
    const subscription = this.client.subscribe(
      destination,
      (message) => handler(toReceived(message)),
      headers,
    );
    return { id: subscription.id, unsubscribe: () => subscription.unsubscribe() };
  }

  /** Disconnect gracefully. */
  async close(): Promise<void> {
    await this.client.deactivate();
  }

  private waitForReceipt(receipt: string, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingReceipts.delete(receipt);
        reject(new Error(`no RECEIPT for ${receipt} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pendingReceipts.set(receipt, {
        resolve,
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.client.watchForReceipt(receipt, () => {
        clearTimeout(timer);
        this.pendingReceipts.delete(receipt);
        resolve();
      });
    });
  }
}

/** Shorthand for `StompedeClient.connect(options)`. */
export function connect(options: ConnectOptions): Promise<StompedeClient> {
  return StompedeClient.connect(options);
}

function toReceived(message: IMessage): ReceivedMessage {
  const headers = { ...message.headers };
  const text = message.body;
  let body: unknown = text;
  if ((headers['content-type'] ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return {
    destination: headers.destination ?? '',
    headers,
    body,
    text,
    ack: () => message.ack(),
    nack: () => message.nack(),
  };
}

async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global !== undefined) return global;
  // Node before 22 has no global WebSocket: use the optional `ws` peer dependency.
  const moduleName = 'ws';
  const ws = (await import(moduleName)) as { default: WebSocketConstructor };
  return ws.default;
}
