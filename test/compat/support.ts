/**
 * Shared plumbing of the client-compatibility suite: a broker on ephemeral ports per test,
 * bounded waits, and a message inbox that real client libraries push into.
 */
import { onTestFinished } from 'vitest';
import { type BrokerConfig, createBroker, type DeepPartial } from '../../server/src/index.js';

/** Every wait in this suite is bounded by this (ms) unless a test says otherwise. */
export const WAIT_MS = 5_000;
/** How long to keep listening after the expected messages, to catch ones that must not come. */
export const QUIET_MS = 300;

/**
 * Broker config the compat scenarios use. `exchanges` (RabbitMQ-style declared exchanges) is
 * spelled out here so this file compiles before and after the key lands in BrokerConfig.
 */
export type CompatConfig = DeepPartial<BrokerConfig> & {
  exchanges?: Array<{ name: string; type: 'direct' | 'fanout' | 'topic' | 'headers' }>;
};

export interface CompatBroker {
  tcpPort: number;
  wsUrl: string;
}

/** Start a broker (memory store, silent, ephemeral ports) that is closed when the test finishes. */
export async function startCompatBroker(config: CompatConfig = {}): Promise<CompatBroker> {
  const broker = createBroker({
    host: '127.0.0.1',
    tcpPort: 0,
    wsPort: 0,
    wsTransport: 'ws',
    store: 'memory',
    logLevel: 'silent',
    ...config,
  } as DeepPartial<BrokerConfig>);
  onTestFinished(() => withTimeout(broker.close(), 10_000, 'broker.close()'));
  const { tcp, ws } = await broker.listen();
  if (!tcp || !ws) throw new Error('compat broker must listen on both TCP and WebSocket');
  return { tcpPort: tcp.port, wsUrl: `ws://127.0.0.1:${ws.port}/stomp` };
}

/** Register a cleanup that runs when the current test finishes; errors are ignored (best effort). */
export function cleanup(fn: () => unknown): void {
  onTestFinished(async () => {
    try {
      await withTimeout(Promise.resolve().then(fn), WAIT_MS, 'client cleanup');
    } catch {
      // the client may already be gone
    }
  });
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${ms}ms waiting for ${what}`)),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What every client library's message boils down to, for assertions. */
export interface Received {
  headers: Record<string, string>;
  body: string;
}

/** Collects messages from a client callback; waits are bounded and say what was received. */
export class Inbox {
  readonly messages: Received[] = [];
  private waiters: Array<() => void> = [];

  constructor(readonly label: string) {}

  push(m: Received): void {
    this.messages.push(m);
    for (const w of this.waiters.splice(0)) w();
  }

  bodies(): string[] {
    return this.messages.map((m) => m.body);
  }

  /** Resolves with the messages once at least `n` have arrived. */
  waitFor(n: number, ms = WAIT_MS): Promise<Received[]> {
    return withTimeout(
      new Promise<Received[]>((resolve) => {
        const check = () => {
          if (this.messages.length >= n) resolve(this.messages);
          else this.waiters.push(check);
        };
        check();
      }),
      ms,
      `${n} message(s) in ${this.label} (have ${JSON.stringify(this.bodies())})`,
    );
  }

  /** Waits for exactly `n` messages: `n`, then QUIET_MS more in which no further one may come. */
  async waitForExactly(n: number, ms = WAIT_MS): Promise<Received[]> {
    await this.waitFor(n, ms);
    await sleep(QUIET_MS);
    return this.messages;
  }
}

/** Messages for the selector scenario: only the red ones heavier than 5 match. */
export const SELECTOR = "color = 'red' AND weight > 5";
export const SELECTOR_MESSAGES: Array<{ body: string; headers: Record<string, string> }> = [
  { body: 'red-10', headers: { color: 'red', weight: '10' } },
  { body: 'red-3', headers: { color: 'red', weight: '3' } },
  { body: 'blue-10', headers: { color: 'blue', weight: '10' } },
  { body: 'green-1', headers: { color: 'green', weight: '1' } },
  { body: 'red-6', headers: { color: 'red', weight: '6' } },
  { body: 'no-weight', headers: { color: 'red' } },
  // Last and matching: once it arrives, every earlier message has been routed or filtered.
  { body: 'red-99', headers: { color: 'red', weight: '99' } },
];
export const SELECTOR_MATCHES = ['red-10', 'red-6', 'red-99'];
