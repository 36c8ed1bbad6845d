/**
 * @stomp/stompjs over the `ws` package (stompjs needs a webSocketFactory in Node).
 */
import { Client, type IFrame, type IMessage, type StompHeaders } from '@stomp/stompjs';
import WebSocket from 'ws';
import { DEFAULT_TIMEOUT, STOMP_WS_PROTOCOLS } from './raw-client.js';

export interface StompJsOptions {
  path?: string;
  connectHeaders?: StompHeaders;
  forceBinaryWSFrames?: boolean;
  splitLargeFrames?: boolean;
  maxWebSocketChunkSize?: number;
  heartbeatIncoming?: number;
  heartbeatOutgoing?: number;
}

export interface MessageCollector {
  readonly messages: IMessage[];
  /** Resolves once at least `n` messages have been collected. */
  waitFor(n: number, timeoutMs?: number): Promise<IMessage[]>;
  unsubscribe(): void;
}

export interface StompJsHandle {
  client: Client;
  connectedFrame: IFrame;
  stompErrors: IFrame[];
  /** Resolves when the underlying WebSocket closes. */
  closed: Promise<void>;
  isClosed(): boolean;
  subscribe(destination: string, headers?: StompHeaders): MessageCollector;
  /** Publish and wait for the broker's RECEIPT. */
  publishConfirmed(destination: string, body: string, headers?: StompHeaders): Promise<void>;
  /** Subscribe and wait for the broker's RECEIPT (subscription active). */
  subscribeConfirmed(destination: string, headers?: StompHeaders): Promise<MessageCollector>;
  deactivate(): Promise<void>;
}

let receiptSeq = 0;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`stompjs: timed out after ${ms}ms waiting for ${what}`)),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function startStompJs(url: string, opts: StompJsOptions = {}): Promise<StompJsHandle> {
  let resolveClosed!: () => void;
  let closedFlag = false;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  const stompErrors: IFrame[] = [];
  const client = new Client({
    webSocketFactory: () => new WebSocket(url, STOMP_WS_PROTOCOLS),
    connectHeaders: opts.connectHeaders ?? {},
    reconnectDelay: 0,
    heartbeatIncoming: opts.heartbeatIncoming ?? 0,
    heartbeatOutgoing: opts.heartbeatOutgoing ?? 0,
    forceBinaryWSFrames: opts.forceBinaryWSFrames ?? false,
    splitLargeFrames: opts.splitLargeFrames ?? false,
    maxWebSocketChunkSize: opts.maxWebSocketChunkSize ?? 8 * 1024,
    debug: () => {},
  });
  const connectedFrame = await withTimeout(
    new Promise<IFrame>((resolve, reject) => {
      client.onConnect = (frame) => resolve(frame);
      client.onStompError = (frame) => {
        stompErrors.push(frame);
        reject(new Error(`stompjs ERROR: ${frame.headers.message} ${frame.body}`));
      };
      client.onWebSocketError = () =>
        reject(new Error(`stompjs: WebSocket error connecting to ${url}`));
      client.onWebSocketClose = (evt) => {
        closedFlag = true;
        resolveClosed();
        reject(new Error(`stompjs: WebSocket closed before CONNECTED (code ${evt?.code})`));
      };
      client.activate();
    }),
    DEFAULT_TIMEOUT,
    `stompjs CONNECTED from ${url}`,
  );
  client.onStompError = (frame) => {
    stompErrors.push(frame);
  };
  client.onWebSocketClose = () => {
    closedFlag = true;
    resolveClosed();
  };

  const subscribe = (destination: string, headers: StompHeaders = {}): MessageCollector => {
    const messages: IMessage[] = [];
    const waiters: Array<() => void> = [];
    const sub = client.subscribe(
      destination,
      (m) => {
        messages.push(m);
        for (const w of waiters.splice(0)) w();
      },
      headers,
    );
    return {
      messages,
      unsubscribe: () => sub.unsubscribe(),
      waitFor(n, timeoutMs = DEFAULT_TIMEOUT) {
        return withTimeout(
          new Promise<IMessage[]>((resolve) => {
            const check = () => {
              if (messages.length >= n) resolve(messages);
              else waiters.push(check);
            };
            check();
          }),
          timeoutMs,
          `${n} message(s) on ${destination} (have ${messages.length}: ${JSON.stringify(messages.map((m) => m.body))})`,
        );
      },
    };
  };

  const receiptFor = (id: string) =>
    withTimeout(
      new Promise<void>((resolve) => client.watchForReceipt(id, () => resolve())),
      DEFAULT_TIMEOUT,
      `stompjs RECEIPT ${id}`,
    );

  return {
    client,
    connectedFrame,
    stompErrors,
    closed,
    isClosed: () => closedFlag,
    subscribe,
    async publishConfirmed(destination, body, headers = {}) {
      receiptSeq++;
      const receipt = `js-pub-${receiptSeq}`;
      const done = receiptFor(receipt);
      client.publish({ destination, body, headers: { ...headers, receipt } });
      await done;
    },
    async subscribeConfirmed(destination, headers = {}) {
      receiptSeq++;
      const receipt = `js-sub-${receiptSeq}`;
      const done = receiptFor(receipt);
      const c = subscribe(destination, { ...headers, receipt });
      await done;
      return c;
    },
    async deactivate() {
      await client.deactivate({ force: true });
    },
  };
}
