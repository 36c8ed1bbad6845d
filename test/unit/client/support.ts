/**
 * Helpers for the stompede-client tests: an in-process broker (restartable on
 * the same port), a WebSocket that records frames and can be killed, a
 * scripted fake STOMP server for what a real broker will not do on demand,
 * and small waiting utilities.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import {
  type ClientState,
  type ConnectOptions,
  connect,
  type ReceivedMessage,
  type StateInfo,
  type StompedeClient,
  type WebSocketConstructor,
} from '../../../client/src/index.js';
import { createBroker } from '../../../server/src/index.js';

export type BrokerOptions = NonNullable<Parameters<typeof createBroker>[0]>;

export const HISTORY_RULE = { match: '/topic/hist.>', historyMaxMessages: 1000 };

let names = 0;
/** A destination suffix unique within this run. */
export function unique(prefix: string): string {
  names++;
  return `${prefix}${process.pid}-${names}-${Math.random().toString(36).slice(2, 7)}`;
}

/** A broker on an ephemeral port that the test can restart on the same port; closed after the test. */
export class TestBroker {
  broker: ReturnType<typeof createBroker>;
  port = 0;
  private readonly options: BrokerOptions;

  private constructor(options: BrokerOptions) {
    this.options = options;
    this.broker = createBroker(options);
  }

  static async start(options: BrokerOptions = {}): Promise<TestBroker> {
    const test = new TestBroker({
      host: '127.0.0.1',
      tcpPort: null,
      wsPort: 0,
      store: 'memory',
      logLevel: 'silent',
      destinations: [HISTORY_RULE],
      ...options,
    });
    const { ws } = await test.broker.listen();
    test.port = ws!.port;
    onTestFinished(() => test.broker.close());
    return test;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/stomp`;
  }

  async stop(): Promise<void> {
    await this.broker.close();
  }

  /** A new broker on the same port (and the same options, e.g. the same data directory). */
  async restart(): Promise<void> {
    this.broker = createBroker({ ...this.options, wsPort: this.port });
    await this.broker.listen();
    onTestFinished(() => this.broker.close());
  }
}

/** A temporary data directory, removed after the test. */
export function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stompede-client-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A frame as seen on the wire (just enough parsing for assertions). */
export interface WireFrame {
  command: string;
  headers: Record<string, string>;
  body: string;
}

export function parseFrames(data: string): WireFrame[] {
  const frames: WireFrame[] = [];
  for (const raw of data.split('\0')) {
    const text = raw.replace(/^[\r\n]+/, '');
    if (text === '') continue;
    const end = text.indexOf('\n\n');
    const head = end < 0 ? text : text.slice(0, end);
    const [command = '', ...lines] = head.split('\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0 && !(line.slice(0, colon) in headers)) {
        headers[line.slice(0, colon)] = line.slice(colon + 1);
      }
    }
    frames.push({ command, headers, body: end < 0 ? '' : text.slice(end + 2) });
  }
  return frames;
}

/** A `ws` WebSocket class that records every frame both ways and lets the test kill the socket. */
export class SocketSpy {
  readonly sockets: WebSocket[] = [];
  readonly sent: WireFrame[] = [];
  readonly received: WireFrame[] = [];
  readonly WebSocket: WebSocketConstructor;

  constructor() {
    const spy = this;
    this.WebSocket = class extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        spy.sockets.push(this);
        this.on('message', (data: Buffer | ArrayBuffer) =>
          spy.received.push(...parseFrames(Buffer.from(data as ArrayBuffer).toString())),
        );
        const send = this.send.bind(this);
        this.send = ((data: string | Uint8Array) => {
          spy.sent.push(
            ...parseFrames(typeof data === 'string' ? data : Buffer.from(data).toString()),
          );
          send(data);
        }) as typeof this.send;
      }
    };
  }

  /** Drop the current connection abruptly (no DISCONNECT, no close handshake). */
  kill(): void {
    this.sockets.at(-1)!.terminate();
  }

  sentFrames(command: string): WireFrame[] {
    return this.sent.filter((f) => f.command === command);
  }

  receivedFrames(command: string): WireFrame[] {
    return this.received.filter((f) => f.command === command);
  }
}

/** A client with `ws` and quick reconnects, closed after the test; records its state events. */
export async function openClient(
  options: Partial<ConnectOptions> & { url: string },
): Promise<StompedeClient & { states: [ClientState, StateInfo][] }> {
  const states: [ClientState, StateInfo][] = [];
  const c = await connect({
    WebSocket: WebSocket as WebSocketConstructor,
    reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
    heartbeat: 0,
    ...options,
    onState: (state, info) => {
      states.push([state, info]);
      options.onState?.(state, info);
    },
  });
  onTestFinished(() => c.close());
  return Object.assign(c, { states });
}

/** Collects what a handler receives. */
export class Inbox {
  readonly messages: ReceivedMessage[] = [];
  readonly handler = (m: ReceivedMessage): void => {
    this.messages.push(m);
  };

  get bodies(): unknown[] {
    return this.messages.map((m) => m.body);
  }

  async waitFor(n: number, timeoutMs = 5000): Promise<ReceivedMessage[]> {
    await waitUntil(
      () => this.messages.length >= n,
      timeoutMs,
      () => `${n} messages (have ${this.messages.length}: ${JSON.stringify(this.bodies)})`,
    );
    return this.messages;
  }
}

export async function waitUntil(
  condition: () => boolean,
  timeoutMs = 5000,
  what: () => string = () => 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(5);
  }
}

export function waitForState(
  c: StompedeClient,
  state: ClientState,
  timeoutMs = 5000,
): Promise<void> {
  return waitUntil(
    () => c.state === state,
    timeoutMs,
    () => `state ${state} (is ${c.state})`,
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Fails the test if any promise rejection goes unhandled while it runs. */
export function watchUnhandledRejections(): unknown[] {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  onTestFinished(() => {
    process.off('unhandledRejection', listener);
  });
  return seen;
}

export interface FakeConnection {
  readonly socket: WebSocket;
  readonly frames: WireFrame[];
  send(command: string, headers?: Record<string, string>, body?: string): void;
}

/**
 * A scripted STOMP server over `ws`, for behaviour a real broker won't show on
 * demand (a refused login, no RECEIPT, session resumption answers). `onFrame`
 * gets every client frame with its connection (DISCONNECT is answered here).
 */
export async function fakeServer(
  onFrame: (frame: WireFrame, connection: FakeConnection) => void,
): Promise<{ url: string; connections: FakeConnection[] }> {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: () => 'v12.stomp',
  });
  const connections: FakeConnection[] = [];
  server.on('connection', (socket) => {
    const connection: FakeConnection = {
      socket,
      frames: [],
      send(command, headers = {}, body = '') {
        const lines = Object.entries(headers).map(([k, v]) => `${k}:${v}`);
        socket.send(`${command}\n${lines.join('\n')}${lines.length ? '\n' : ''}\n${body}\0`);
      },
    };
    connections.push(connection);
    socket.on('message', (data: Buffer) => {
      for (const frame of parseFrames(data.toString())) {
        connection.frames.push(frame);
        if (frame.command === 'DISCONNECT' && frame.headers.receipt !== undefined) {
          connection.send('RECEIPT', { 'receipt-id': frame.headers.receipt });
          continue;
        }
        onFrame(frame, connection);
      }
    });
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.socket.terminate();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}/stomp`, connections };
}
