/**
 * Raw STOMP test clients (TCP and WebSocket) that send exact bytes and collect
 * frames parsed by the independent reader in ./frames.ts.
 */
import net from 'node:net';
import WebSocket from 'ws';
import {
  describeFrame,
  type EncodeOptions,
  encodeFrame,
  type Frame,
  FrameReader,
  type HeaderInput,
} from './frames.js';

export const DEFAULT_TIMEOUT = 5000;
/** How long to wait when showing that something does NOT happen. */
export const ABSENCE_MS = 250;

export const STOMP_WS_PROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

type Waiter = () => boolean;

export interface SendOptions extends EncodeOptions {
  /** WebSocket only: send as a binary message (default: text). */
  binary?: boolean;
}

let receiptCounter = 0;
export function nextReceiptId(): string {
  receiptCounter++;
  return `rcpt-${receiptCounter}`;
}

let nameCounter = 0;
/** A destination/suffix unique within this test process. */
export function uniqueName(prefix = 'd'): string {
  nameCounter++;
  return `${prefix}-${process.pid}-${nameCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

export abstract class RawStompClient {
  /** Every frame ever received, in order. */
  readonly history: Frame[] = [];
  /** Frames received and not yet consumed by an expect/wait call. */
  readonly inbox: Frame[] = [];
  readonly reader: FrameReader;
  parseError: Error | undefined;
  isClosed = false;
  closedAt: number | undefined;
  readonly closed: Promise<void>;
  readonly label: string;
  private waiters = new Set<Waiter>();
  private resolveClosed!: () => void;
  /** Timestamps (ms) of every heart-beat EOL received. */
  readonly heartbeatTimes: number[] = [];

  constructor(label: string) {
    this.label = label;
    this.closed = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });
    this.reader = new FrameReader(
      (f) => {
        this.history.push(f);
        this.inbox.push(f);
        this.notify();
      },
      (e) => {
        this.parseError = e;
        this.notify();
      },
      () => {
        this.heartbeatTimes.push(Date.now());
      },
    );
  }

  get version(): string {
    return this.reader.version;
  }

  get heartbeats(): number {
    return this.reader.heartbeats;
  }

  protected onData(chunk: Buffer): void {
    this.reader.push(chunk);
  }

  protected onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closedAt = Date.now();
    this.resolveClosed();
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.waiters]) {
      if (w()) this.waiters.delete(w);
    }
  }

  abstract sendRaw(data: string | Buffer, opts?: SendOptions): void;
  /** Abruptly tear the connection down (no DISCONNECT). */
  abstract destroy(): void;

  send(
    command: string,
    headers: HeaderInput = {},
    body: string | Buffer = '',
    opts: SendOptions = {},
  ): void {
    const shouldEscape =
      opts.escape ?? (this.version !== '1.0' && command !== 'CONNECT' && command !== 'STOMP');
    this.sendRaw(encodeFrame(command, headers, body, { ...opts, escape: shouldEscape }), opts);
  }

  describeState(): string {
    const inbox = this.inbox.map(describeFrame).join('\n    ');
    return `[${this.label}] closed=${this.isClosed} parseError=${this.parseError?.message ?? 'none'}\n  unconsumed frames:\n    ${inbox || '(none)'}`;
  }

  /**
   * Wait for (and consume) the first unconsumed frame matching `pred`, leaving other
   * frames in the inbox. Rejects on timeout, on a parse error, or if the connection closes first.
   */
  waitForFrame(
    pred: (f: Frame) => boolean,
    what: string,
    timeoutMs = DEFAULT_TIMEOUT,
  ): Promise<Frame> {
    return new Promise<Frame>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check: Waiter = () => {
        const idx = this.inbox.findIndex(pred);
        if (idx >= 0) {
          const [f] = this.inbox.splice(idx, 1);
          clearTimeout(timer);
          resolve(f!);
          return true;
        }
        if (this.parseError) {
          clearTimeout(timer);
          reject(
            new Error(
              `could not parse broker output while waiting for ${what}: ${this.parseError.message}\n${this.describeState()}`,
            ),
          );
          return true;
        }
        if (this.isClosed) {
          clearTimeout(timer);
          reject(new Error(`connection closed while waiting for ${what}\n${this.describeState()}`));
          return true;
        }
        return false;
      };
      if (check()) return;
      timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(`timed out after ${timeoutMs}ms waiting for ${what}\n${this.describeState()}`),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Consume the next frame in arrival order and assert its command. */
  async expectFrame(command: string, timeoutMs = DEFAULT_TIMEOUT): Promise<Frame> {
    const f = await this.waitForFrame(() => true, `a ${command} frame`, timeoutMs);
    if (f.command !== command) {
      throw new Error(`expected ${command} but got ${describeFrame(f)}\n${this.describeState()}`);
    }
    return f;
  }

  /** Consume the first unconsumed frame with this command (other frames stay queued). */
  waitForCommand(command: string, timeoutMs = DEFAULT_TIMEOUT): Promise<Frame> {
    return this.waitForFrame((f) => f.command === command, `a ${command} frame`, timeoutMs);
  }

  expectReceipt(id: string, timeoutMs = DEFAULT_TIMEOUT): Promise<Frame> {
    return this.waitForFrame(
      (f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === id,
      `RECEIPT receipt-id:${id}`,
      timeoutMs,
    );
  }

  /** Consume `n` MESSAGE frames (optionally only those matching `pred`), in arrival order. */
  async messages(
    n: number,
    pred: (f: Frame) => boolean = () => true,
    timeoutMs = DEFAULT_TIMEOUT,
  ): Promise<Frame[]> {
    const out: Frame[] = [];
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < n; i++) {
      out.push(
        await this.waitForFrame(
          (f) => f.command === 'MESSAGE' && pred(f),
          `MESSAGE #${i + 1} of ${n} (got ${i} so far: ${JSON.stringify(out.map((m) => m.bodyText))})`,
          Math.max(1, deadline - Date.now()),
        ),
      );
    }
    return out;
  }

  message(pred: (f: Frame) => boolean = () => true, timeoutMs = DEFAULT_TIMEOUT): Promise<Frame> {
    return this.waitForFrame((f) => f.command === 'MESSAGE' && pred(f), 'a MESSAGE', timeoutMs);
  }

  /** Wait a bounded time and assert that no unconsumed frame matching `pred` arrived. */
  async expectNoFrame(pred: (f: Frame) => boolean = () => true, ms = ABSENCE_MS): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    const found = this.inbox.filter(pred);
    if (found.length > 0) {
      throw new Error(
        `expected no such frame, but got:\n    ${found.map(describeFrame).join('\n    ')}`,
      );
    }
  }

  expectNoMessage(ms = ABSENCE_MS): Promise<void> {
    return this.expectNoFrame((f) => f.command === 'MESSAGE', ms);
  }

  /** Resolve when the connection is closed by the peer; reject after the timeout. */
  async expectClosed(timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`connection not closed within ${timeoutMs}ms\n${this.describeState()}`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Send CONNECT (default accept-version 1.0,1.1,1.2) and wait for CONNECTED. */
  async connect(headers: Record<string, string> = {}, command = 'CONNECT'): Promise<Frame> {
    this.send(command, { 'accept-version': '1.0,1.1,1.2', host: 'localhost', ...headers });
    return this.expectFrame('CONNECTED');
  }

  /** Send a frame with a receipt header and wait for its RECEIPT. */
  async sendWithReceipt(
    command: string,
    headers: Record<string, string> = {},
    body: string | Buffer = '',
  ): Promise<Frame> {
    const receipt = nextReceiptId();
    this.send(command, { ...headers, receipt }, body);
    return this.expectReceipt(receipt);
  }

  async subscribe(
    destination: string,
    id: string,
    headers: Record<string, string> = {},
  ): Promise<void> {
    await this.sendWithReceipt('SUBSCRIBE', { destination, id, ack: 'auto', ...headers });
  }

  async unsubscribe(id: string, headers: Record<string, string> = {}): Promise<void> {
    await this.sendWithReceipt('UNSUBSCRIBE', { id, ...headers });
  }

  /** SEND and wait for the broker's RECEIPT (so the message has been routed). */
  async publish(
    destination: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<void> {
    await this.sendWithReceipt('SEND', { destination, ...headers }, body);
  }

  /** DISCONNECT with a receipt; waits for the RECEIPT and for the broker to close the connection. */
  async disconnect(): Promise<void> {
    await this.sendWithReceipt('DISCONNECT');
    await this.expectClosed();
  }
}

export class TcpStompClient extends RawStompClient {
  readonly socket: net.Socket;
  readonly opened: Promise<void>;

  constructor(host: string, port: number, label = 'tcp') {
    super(label);
    this.socket = net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.opened = new Promise<void>((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', () => {});
    this.socket.on('close', () => this.onClose());
  }

  sendRaw(data: string | Buffer): void {
    if (this.socket.destroyed) throw new Error(`[${this.label}] cannot send: socket destroyed`);
    this.socket.write(data);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class WsStompClient extends RawStompClient {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  /** Kinds of the WebSocket messages received ('text' | 'binary'). */
  readonly wsMessageKinds: Array<'text' | 'binary'> = [];
  closeCode: number | undefined;

  constructor(url: string, protocols: string[] = STOMP_WS_PROTOCOLS, label = 'ws') {
    super(label);
    this.ws = new WebSocket(url, protocols);
    this.opened = new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`unexpected HTTP response ${res.statusCode} for ${url}`)),
      );
    });
    this.ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      this.wsMessageKinds.push(isBinary ? 'binary' : 'text');
      const buf = Array.isArray(data)
        ? Buffer.concat(data)
        : data instanceof ArrayBuffer
          ? Buffer.from(data)
          : data;
      this.onData(buf);
    });
    this.ws.on('error', () => {});
    this.ws.on('close', (code: number) => {
      this.closeCode = code;
      this.onClose();
    });
  }

  sendRaw(data: string | Buffer, opts: SendOptions = {}): void {
    if (this.ws.readyState !== WebSocket.OPEN) {
      throw new Error(`[${this.label}] cannot send: WebSocket readyState=${this.ws.readyState}`);
    }
    const binary = opts.binary ?? false;
    if (binary)
      this.ws.send(typeof data === 'string' ? Buffer.from(data, 'utf8') : data, { binary: true });
    else this.ws.send(typeof data === 'string' ? data : data.toString('utf8'), { binary: false });
  }

  destroy(): void {
    this.ws.terminate();
  }
}
