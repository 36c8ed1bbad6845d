/**
 * Start a broker on ephemeral ports for one test and tear it (and every client the test
 * opened through the returned context) down when the test finishes.
 */
import { onTestFinished } from 'vitest';
import { createBroker } from '../../server/src/index.js';
import { TcpStompClient, WsStompClient } from './raw-client.js';
import { type StompJsHandle, type StompJsOptions, startStompJs } from './stompjs.js';

export type BrokerOptions = NonNullable<Parameters<typeof createBroker>[0]>;
export type Broker = ReturnType<typeof createBroker>;
export type WsTransport = 'uws' | 'ws';

/** Options where nested groups (heartbeat, limits, queues) may be partial, as the API allows. */
export type BrokerOverrides = {
  [K in keyof BrokerOptions]?: NonNullable<BrokerOptions[K]> extends Record<string, unknown>
    ? Partial<NonNullable<BrokerOptions[K]>>
    : BrokerOptions[K];
};

export const WS_TRANSPORTS: WsTransport[] = ['uws', 'ws'];

export interface ListenAddress {
  tcp: { host: string; port: number };
  ws: { host: string; port: number };
  wsTransport: WsTransport;
}

export interface BrokerContext {
  broker: Broker;
  addr: ListenAddress;
  /** ws://host:port/stomp (or another path) */
  wsUrl(path?: string): string;
  /** Open a raw TCP client (not yet CONNECTed). */
  tcp(label?: string): Promise<TcpStompClient>;
  /** Open a raw WebSocket client (not yet CONNECTed). */
  ws(opts?: { path?: string; protocols?: string[]; label?: string }): Promise<WsStompClient>;
  /** Raw TCP client that has completed CONNECT/CONNECTED (1.2 unless headers say otherwise). */
  connectTcp(headers?: Record<string, string>, label?: string): Promise<TcpStompClient>;
  connectWs(headers?: Record<string, string>, label?: string): Promise<WsStompClient>;
  /** @stomp/stompjs client over the `ws` package, connected. */
  stompjs(opts?: StompJsOptions): Promise<StompJsHandle>;
  /** Close the broker now (idempotent; the automatic cleanup then does nothing). */
  close(): Promise<void>;
}

const CLOSE_TIMEOUT_MS = 10_000;

type Closable = { destroy(): void } | { close(): Promise<void> | void };

/** Track anything that must be torn down when the current test finishes. */
export function trackForCleanup(cleanups: Array<() => unknown>, item: Closable): void {
  cleanups.push(() => {
    if ('destroy' in item) item.destroy();
    else return item.close();
  });
}

export async function closeWithTimeout(broker: Broker, what = 'broker.close()'): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      broker.close(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what} did not resolve within ${CLOSE_TIMEOUT_MS}ms`)),
          CLOSE_TIMEOUT_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startBroker(overrides: BrokerOverrides = {}): Promise<BrokerContext> {
  const options = {
    host: '127.0.0.1',
    tcpPort: 0,
    wsPort: 0,
    wsTransport: 'ws',
    store: 'memory',
    logLevel: 'silent',
    ...overrides,
  } as BrokerOptions;
  const broker = createBroker(options);
  const cleanups: Array<() => unknown> = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await closeWithTimeout(broker);
  };
  onTestFinished(async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch {
        // best effort: clients may already be gone
      }
    }
    await close();
  });
  const addr = (await broker.listen()) as ListenAddress;
  const host = addr.tcp.host === '0.0.0.0' || addr.tcp.host === '::' ? '127.0.0.1' : addr.tcp.host;
  const wsHost = addr.ws.host === '0.0.0.0' || addr.ws.host === '::' ? '127.0.0.1' : addr.ws.host;
  const wsUrl = (path = '/stomp') => `ws://${wsHost}:${addr.ws.port}${path}`;

  const ctx: BrokerContext = {
    broker,
    addr,
    wsUrl,
    async tcp(label = 'tcp') {
      const c = new TcpStompClient(host, addr.tcp.port, label);
      trackForCleanup(cleanups, c);
      await c.opened;
      return c;
    },
    async ws(opts = {}) {
      const c = new WsStompClient(
        wsUrl(opts.path),
        opts.protocols,
        opts.label ?? `ws(${addr.wsTransport})`,
      );
      trackForCleanup(cleanups, c);
      await c.opened;
      return c;
    },
    async connectTcp(headers = {}, label) {
      const c = await ctx.tcp(label);
      await c.connect(headers);
      return c;
    },
    async connectWs(headers = {}, label) {
      const c = await ctx.ws({ label });
      await c.connect(headers);
      return c;
    },
    async stompjs(opts = {}) {
      const h = await startStompJs(wsUrl(opts.path), opts);
      cleanups.push(() => h.deactivate());
      return h;
    },
    close,
  };
  return ctx;
}
