import type { Authenticator, Authorizer, Principal } from '../auth/index.js';
import type { Broker } from '../broker/broker.js';
import { type Message, messageFrame, messageIsUtf8, messageTail } from '../broker/message.js';
import type { Consumer, Subscription } from '../broker/subscription.js';
import type { BrokerConfig, CompatMode } from '../config.js';
import { type Counters, LIMIT_BREACHES } from '../counters.js';
import type { Logger } from '../logger.js';
import { encodeFrame, encodeMessageHead, HEARTBEAT_EOL, joinFrame } from '../protocol/encoder.js';
import type { Frame, FrameHeaders, StompVersion } from '../protocol/frame.js';
import { FrameParser } from '../protocol/parser.js';
import type { Connection, ConnectionHandler } from '../transport/connection.js';
import { type EndNote, logConnectionClose, logConnectionOpen } from './connection-log.js';
import { failSession, inboundRateExceeded } from './failures.js';
import type { FrameTrace } from './frame-trace.js';
import { dispatchFrame } from './handlers/index.js';
import type { HeartbeatScheduler, Ticking } from './heartbeat.js';
import { holdFrame, suspendSessionUntil } from './held-frames.js';
import { adoptParkedSession, endParkedSession, holdWhileParked, parkSession } from './parking.js';
import { type Delivery, Resumption } from './resumption.js';
import { SubscriptionTable } from './subscription-table.js';
import { admitTopicMessage, limitTopicFlow, tickTopicFlows } from './topic-flow-gate.js';
import type { Transaction } from './transaction.js';

/** What every session shares: handed in by the server that owns the listeners. */
export interface SessionContext {
  readonly broker: Broker;
  readonly config: BrokerConfig;
  readonly scheduler: HeartbeatScheduler;
  /** Event counters (limit breaches and the like), exported as metrics. */
  readonly counters: Counters;
  readonly logger: Logger;
  /** `server` header value of CONNECTED, e.g. `stompede/0.1.0`. */
  readonly serverName: string;
  /** Checks CONNECT's credentials; absent or null when logins are off (everyone is anonymous). */
  readonly authenticator?: Authenticator | null;
  /** Decides per-destination permissions; absent or null when there is nothing to check. */
  readonly authorizer?: Authorizer | null;
  newSessionId(): string;
  /** The session has ended; forget it. */
  sessionClosed(session: Session): void;
  /** The session's connection closed (told once per connection, parked or not): connection limits count it out. */
  connectionClosed?(connection: Connection): void;
  /** The session dropped and waits, under its resume token, for its client to come back. */
  parkSession(session: Session): void;
  unparkSession(session: Session): void;
  /** The parked session with this resume token, removed from the waiting list; undefined when none. */
  takeParked(token: string): Session | undefined;
}

export type SessionState = 'awaiting-connect' | 'connected' | 'parked' | 'closing' | 'closed';

/**
 * One STOMP conversation over one Connection: parses what arrives, runs each
 * frame through its handler, writes what goes out, and keeps the
 * connection's subscriptions, transactions and heart-beat clock.
 */
export class Session implements ConnectionHandler, Consumer, Ticking {
  /** Session id (CONNECTED `session`); a resumed connection takes over the id of the one it resumes. */
  id: string;
  /** The secret a dropped client presents (CONNECT `x-resume`) to take this session over; '' when not resumable. */
  resumeToken = '';
  resumption: Resumption | null = null;
  /** The admin frame tracer's tap (frame-trace.ts): null unless an operator is tracing this connection. */
  trace: FrameTrace | null = null;
  readonly connection: Connection;
  readonly context: SessionContext;
  state: SessionState = 'awaiting-connect';
  /** Negotiated protocol version; 1.0 rules until CONNECT says otherwise. */
  version: StompVersion = '1.0';
  login = '';
  clientId = '';
  /** Who this connection logged in as (set by CONNECT); null before. */
  principal: Principal | null = null;
  /** When the login's token lapses (its exp plus the clock tolerance), ms since the epoch; 0 = never. */
  tokenExpiresAt = 0;
  /** Permission bits per destination: a SEND repeated to one destination asks the Authorizer once. Made on first use. */
  get permissionCache(): Map<string, number> {
    this.lazyPermissions ??= new Map();
    return this.lazyPermissions;
  }
  private lazyPermissions: Map<string, number> | null = null;
  /** A new principal: permissions are looked up afresh (without making the cache). */
  forgetPermissions(): void {
    this.lazyPermissions?.clear();
  }
  /** Frames that arrived while CONNECT's authentication was pending, run in order after it; null when none is. */
  heldFrames: Frame[] | null = null;
  heldBytes = 0;
  /** Which broker's defaults this connection expects (config `compat`, or CONNECT `x-compat`). */
  compat: CompatMode;
  /**
   * RabbitMQ-style automatic subscriptions to `/temp-queue/NAME`, made when a
   * SEND names it in `reply-to` before any SUBSCRIBE does; keyed by destination.
   */
  get autoSubscriptions(): Map<string, Subscription> {
    this.lazyAutoSubscriptions ??= new Map();
    return this.lazyAutoSubscriptions;
  }
  readonly subscriptions = new SubscriptionTable();
  /** Open transactions by id. Made on first use. */
  get transactions(): Map<string, Transaction> {
    this.lazyTransactions ??= new Map();
    return this.lazyTransactions;
  }
  /**
   * Maps most connections never use are made on first use (issue 9: an idle
   * connection with one subscription should cost a few KiB of broker memory).
   */
  lazyAutoSubscriptions: Map<string, Subscription> | null = null;
  lazyTransactions: Map<string, Transaction> | null = null;
  nextHandle = 1;
  readonly parser: FrameParser;
  /** When the connection opened, ms since the epoch. */
  readonly openedAt = Date.now();
  /** Heart-beat bookkeeping: flags set on I/O, turned into times by the ticker (no clock read per frame). */
  private readSinceTick = false;
  private wroteSinceTick = false;
  private lastReadAt = Date.now();
  private lastWriteAt = Date.now();
  sendEveryMs = 0;
  expectEveryMs = 0;
  writable = true;
  disconnecting = false;
  private pendingWrites = 0;
  /** The last write awaitWrite() watches (see there). */
  private lastAwaited: Promise<void> | null = null;
  private settledWaiters: (() => void)[] | null = null;
  /**
   * Inbound rate budgets (limits.maxInboundFramesPerSecond / BytesPerSecond):
   * token buckets of one second's worth, spent per frame and per chunk,
   * refilled on the scheduler tick (no clock read per frame).
   */
  private inboundFrames: number;
  private inboundBytes: number;
  private inboundRefilledAt: number;
  /** Some subscription has x-max-rate or x-conflate-key: its flow refills and flushes on the tick. */
  hasLimitedFlows = false;
  /** Traffic of this connection, for the admin API and metrics (plain increments, no clock reads). */
  framesIn = 0;
  framesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** SEND frames received. */
  messagesIn = 0;
  /** MESSAGE frames written. */
  messagesOut = 0;
  /** Why the connection is ending (first reason wins), for its close log line; null until one is known. */
  private endNote: EndNote | null = null;
  private closeLogged = false;

  constructor(connection: Connection, context: SessionContext) {
    this.connection = connection;
    this.context = context;
    this.id = context.newSessionId();
    this.compat = context.config.compat;
    const limits = context.config.limits;
    this.inboundFrames = limits.maxInboundFramesPerSecond;
    this.inboundBytes = limits.maxInboundBytesPerSecond;
    this.inboundRefilledAt = this.openedAt;
    this.parser = new FrameParser((frame) => this.onFrame(frame), {
      maxFrameSize: limits.maxFrameSize,
      maxHeaders: limits.maxHeaders,
      maxHeaderLineLength: limits.maxHeaderLineLength,
    });
    context.scheduler.add(this);
    logConnectionOpen(this);
  }

  /** Record why the connection ends, for its close log line (the first reason recorded wins). */
  noteEnd(note: EndNote): void {
    this.endNote ??= note;
  }

  private logClose(): void {
    if (this.closeLogged) return;
    this.closeLogged = true;
    logConnectionClose(this, this.endNote ?? { reason: 'socket-closed' }, this.openedAt);
  }

  get ownerId(): string {
    return this.id;
  }

  /** Queues dispatch only while the connection's outbound buffer is below its high-water mark. */
  get ready(): boolean {
    return this.writable && this.state === 'connected' && !this.disconnecting;
  }

  // ── work that completes later (store commits) ────────────────────────

  /**
   * Follow a store commit the client's frame caused: RECEIPT once it is
   * durable; ERROR (and close) if it failed, so nothing unstored is ever
   * acknowledged.
   */
  awaitWrite(write: Promise<void>, receipt: string | undefined): void {
    // The SENDs of one store commit batch share its promise: one watch covers those without a receipt.
    if (receipt === undefined && write === this.lastAwaited) return;
    this.lastAwaited = write;
    this.pendingWrites++;
    write.then(
      () => {
        this.pendingWrites--;
        if (receipt !== undefined && this.state === 'connected') this.sendReceipt(receipt);
        this.checkSettled();
      },
      (err: unknown) => {
        this.pendingWrites--;
        this.fail(err, receipt);
        this.checkSettled();
      },
    );
  }

  /** Resolves once every write this session is waiting for has settled. */
  whenSettled(): Promise<void> {
    if (this.pendingWrites === 0) return Promise.resolve();
    this.settledWaiters ??= [];
    const waiters = this.settledWaiters;
    return new Promise((resolve) => waiters.push(resolve));
  }

  private checkSettled(): void {
    if (this.pendingWrites !== 0 || this.settledWaiters === null) return;
    const waiters = this.settledWaiters;
    this.settledWaiters = null;
    for (const resolve of waiters) resolve();
  }

  /** DISCONNECT: take no more frames or messages; after pending writes settle, RECEIPT (if asked) and close. */
  disconnect(receipt: string | undefined): void {
    this.noteEnd({ reason: 'client-disconnect' });
    this.parser.stop();
    this.disconnecting = true;
    const barrier = this.context.broker.writeBarrier();
    void Promise.all([this.whenSettled(), barrier?.catch(() => {})]).then(() => {
      if (receipt !== undefined && this.state === 'connected') this.sendReceipt(receipt);
      this.close();
    });
  }

  // ── ConnectionHandler ────────────────────────────────────────────────

  onData(chunk: Uint8Array): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.readSinceTick = true;
    this.bytesIn += chunk.length;
    this.inboundBytes -= chunk.length;
    if (this.inboundBytes < 0) {
      this.fail(inboundRateExceeded('bytes', this.context.config.limits.maxInboundBytesPerSecond));
      return;
    }
    try {
      this.parser.push(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  onDrain(): void {
    if (this.writable) return;
    this.writable = true;
    for (const subscription of this.subscriptions.values()) {
      if (!this.writable) break;
      subscription.resume();
    }
  }

  onClose(): void {
    this.context.connectionClosed?.(this.connection);
    if (this.state === 'closed' || this.state === 'parked') {
      this.logClose();
      return;
    }
    if (this.state === 'connected' && !this.disconnecting && this.resumeToken !== '') {
      parkSession(this);
      this.logClose();
      return;
    }
    this.release();
    this.state = 'closed';
    this.logClose();
    this.context.sessionClosed(this);
  }

  // ── frames in ────────────────────────────────────────────────────────

  /** Not private: held-frames.ts runs held frames through it. */
  onFrame(frame: Frame): void {
    if (this.heldFrames !== null) {
      holdFrame(this, frame);
      return;
    }
    this.framesIn++;
    if (frame.command === 'SEND') this.messagesIn++;
    // Read before dispatch: SEND strips `receipt` from the headers it passes on.
    const receipt = frame.headers.receipt;
    if (this.trace !== null) this.trace.inbound(frame);
    try {
      if (--this.inboundFrames < 0) {
        throw inboundRateExceeded('frames', this.context.config.limits.maxInboundFramesPerSecond);
      }
      dispatchFrame(this, frame);
    } catch (err) {
      this.fail(err, receipt);
    }
  }

  /** After CONNECT: header escaping follows the negotiated version from the next frame on. */
  setVersion(version: StompVersion): void {
    this.version = version;
    this.parser.version = version;
  }

  /** The automatic reply-to subscription to `destination`, if any (without making the map). */
  autoSubscriptionTo(destination: string): Subscription | undefined {
    return this.lazyAutoSubscriptions?.get(destination);
  }

  newHandle(): number {
    return this.nextHandle++;
  }

  /** Hold the frames that arrive until `work` (CONNECT's authentication) settles (held-frames.ts). */
  suspendUntil(work: Promise<void>): void {
    suspendSessionUntil(this, work);
  }

  // ── frames out ───────────────────────────────────────────────────────

  /** Write bytes; track backpressure so queues stop dispatching to a full connection. */
  write(bytes: Uint8Array, utf8?: boolean): void {
    if (this.state === 'closed') return;
    this.wroteSinceTick = true;
    this.bytesOut += bytes.length;
    if (!this.connection.send(bytes, utf8)) this.writable = false;
    if (this.trace !== null) this.trace.outbound(bytes, this.version);
  }

  sendFrame(
    command: string,
    headers: FrameHeaders | ReadonlyArray<readonly [string, string]>,
    body?: string | Buffer,
  ): void {
    this.framesOut++;
    this.write(encodeFrame(command, headers, body, this.version));
  }

  sendReceipt(receiptId: string): void {
    this.sendFrame('RECEIPT', [['receipt-id', receiptId]]);
  }

  /** Consumer: one MESSAGE for one subscription. The shared header block is encoded once per message. */
  deliver(
    subscription: Subscription,
    message: Message,
    tag: number,
    redeliveries: number,
    replay: boolean,
  ): void {
    if (this.state !== 'connected') {
      if (this.state === 'parked')
        holdWhileParked(this, { subscription, message, tag, redeliveries, replay });
      return;
    }
    if (this.resumeToken !== '') {
      this.resumption ??= new Resumption();
      this.resumption.record(subscription, message, tag, redeliveries, replay);
    }
    this.messagesOut++;
    this.framesOut++;
    const broker = this.context.broker;
    broker.delivered++;
    if (redeliveries > 0) broker.redelivered++;
    const plain =
      (tag === 0 || this.version !== '1.2') &&
      redeliveries === 0 &&
      !replay &&
      (subscription.flow === null || !subscription.flow.unreported);
    if (!plain) {
      let head = `MESSAGE\n${subscription.wirePrefix}`;
      if (tag !== 0 && this.version === '1.2') head += `ack:${subscription.handle}.${tag}\n`;
      if (redeliveries > 0) head += `redelivered:true\nredelivery-count:${redeliveries}\n`;
      if (replay) head += 'x-history:true\n';
      if (subscription.flow?.unreported) head += subscription.flow.takeReport();
      this.write(messageFrame(message, this.version, head), messageIsUtf8(message));
      return;
    }
    // The fan-out hot path: the frame is the subscription's head + the
    // message's shared tail. A transport that takes the two parts joins them
    // in its own reused scratch (no Buffer per delivery).
    const tail = messageTail(message, this.version);
    subscription.wireHead ??= encodeMessageHead(subscription.wirePrefix);
    const connection = this.connection;
    if (connection.sendParts !== undefined && this.trace === null) {
      const head = subscription.wireHead;
      this.wroteSinceTick = true;
      this.bytesOut += head.length + tail.length;
      if (!connection.sendParts(head, tail, messageIsUtf8(message))) this.writable = false;
      return;
    }
    // Otherwise subscribers with the same subscription id and version get
    // the very same bytes, so they share one Buffer.
    if (
      message.lastFrame !== null &&
      message.lastFrameHead === subscription.wirePrefix &&
      message.lastFrameVersion === this.version
    ) {
      this.write(message.lastFrame, messageIsUtf8(message));
      return;
    }
    const frame = joinFrame(subscription.wireHead, tail);
    message.lastFrame = frame;
    message.lastFrameHead = subscription.wirePrefix;
    message.lastFrameVersion = this.version;
    this.write(frame, messageIsUtf8(message));
  }

  // ── slow consumers and topic flow (topic-flow-gate.ts) ───────────────

  /** Consumer gate for a live topic message while behind or flow-limited: see admitTopicMessage. */
  admit(subscription: Subscription, message: Message): boolean {
    return admitTopicMessage(this, subscription, message);
  }

  /** SUBSCRIBE with x-max-rate and/or x-conflate-key: give the subscription its flow. */
  limitFlow(subscription: Subscription, maxRate: number, conflateKey: string): void {
    limitTopicFlow(this, subscription, maxRate, conflateKey);
  }

  // ── resumption (parking.ts) ──────────────────────────────────────────

  /** The resume window passed (or the held messages outgrew their cap): release everything as a normal close. */
  endParked(): void {
    endParkedSession(this);
  }

  /** Take over a parked session (CONNECT with its resume token); returns what to write again. */
  adopt(parked: Session, lastSeenId: string | undefined): Delivery[] {
    return adoptParkedSession(this, parked, lastSeenId);
  }

  // ── endings ──────────────────────────────────────────────────────────

  /** Refuse what the client did: one ERROR naming the problem, then close this connection only (failures.ts). */
  fail(err: unknown, receiptId?: string): void {
    failSession(this, err, receiptId);
  }

  /** Send ERROR and close gracefully (queued data, then the ERROR, then the close). */
  sendError(
    message: string,
    detail: string,
    receiptId?: string,
    extra: ReadonlyArray<readonly [string, string]> = [],
  ): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.noteEnd({ reason: 'error', error: message });
    const headers: (readonly [string, string])[] = [
      ['message', message],
      ['content-type', 'text/plain'],
      ...extra,
    ];
    if (receiptId !== undefined) headers.push(['receipt-id', receiptId]);
    // Before CONNECTED the client has agreed no version, so escape nothing (clients unescape only after it).
    const version = this.state === 'awaiting-connect' ? '1.0' : this.version;
    this.write(encodeFrame('ERROR', headers, `${detail}\n`, version));
    this.close();
  }

  /** End the conversation: stop reading, hand back what is in flight, flush and close the socket. */
  close(): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.parser.stop();
    this.release();
    this.state = 'closing';
    this.connection.end();
  }

  /** Give back everything the session holds: unacked messages return to their queues, open transactions abort. */
  release(): void {
    this.context.scheduler.remove(this);
    this.lazyTransactions = null;
    const subscriptions = this.subscriptions.drain();
    this.state = 'closing';
    for (const subscription of subscriptions) subscription.close();
    this.context.broker.releaseOwner(this, this.clientId);
  }

  // ── heart-beats and time limits (driven by the shared scheduler) ─────

  onTick(now: number, tickMs: number): void {
    if (this.state === 'parked') {
      if (now > this.resumption!.parkedUntil) endParkedSession(this);
      return;
    }
    if (this.readSinceTick) {
      this.readSinceTick = false;
      this.lastReadAt = now;
    }
    this.refillInbound(now);
    if (this.wroteSinceTick) {
      this.wroteSinceTick = false;
      this.lastWriteAt = now;
    }
    if (this.state === 'awaiting-connect') {
      const limit = this.context.config.limits.connectTimeoutMs;
      if (now - this.openedAt > limit) {
        this.context.counters.increment(LIMIT_BREACHES, { limit: 'limits.connectTimeoutMs' });
        this.noteEnd({
          reason: 'limit-exceeded',
          error: 'connect timeout',
          limit: 'limits.connectTimeoutMs',
        });
        this.sendError(
          'connect timeout',
          `No CONNECT frame arrived within ${limit} ms of opening the connection. Send CONNECT (or STOMP) ` +
            'first; the limit is limits.connectTimeoutMs in the broker config.',
        );
      }
      return;
    }
    if (this.state !== 'connected') return;
    if (this.tokenExpiresAt !== 0 && now >= this.tokenExpiresAt) {
      this.sendError(
        'token expired',
        `The token this connection logged in with expired (x-token-expires:${this.principal?.expiresAt ?? 0}). ` +
          'Before it does, send a fresh one: SEND to /system/token with the token as the body; or connect again.',
      );
      return;
    }
    if (this.expectEveryMs > 0) {
      const hb = this.context.config.heartbeat;
      const allowed = this.expectEveryMs * hb.toleranceFactor + hb.graceMs;
      if (now - this.lastReadAt > allowed) {
        this.noteEnd({ reason: 'heartbeat-timeout', error: 'heart-beat timeout' });
        if (this.resumeToken !== '') {
          // A silent browser has usually lost its network: keep its session for the resume window.
          this.sendFrame(
            'ERROR',
            [['message', 'heart-beat timeout']],
            'Nothing arrived within the agreed heart-beat.\n',
          );
          parkSession(this);
          this.connection.destroy();
          return;
        }
        this.sendError(
          'heart-beat timeout',
          `Nothing arrived from this client for ${now - this.lastReadAt} ms; the agreed heart-beat was every ` +
            `${this.expectEveryMs} ms (allowed: ${allowed} ms). Send heart-beats as negotiated in CONNECT.`,
        );
        return;
      }
    }
    if (this.hasLimitedFlows) tickTopicFlows(this, now);
    // Send early by up to one tick so the gap the client sees never exceeds the agreed interval.
    if (this.sendEveryMs > 0 && now - this.lastWriteAt >= this.sendEveryMs - tickMs) {
      this.write(HEARTBEAT_EOL);
    }
  }

  /** Give back inbound budget for the time since the last tick, up to one second's worth. */
  private refillInbound(now: number): void {
    const elapsed = now - this.inboundRefilledAt;
    if (elapsed <= 0) return;
    this.inboundRefilledAt = now;
    const { maxInboundFramesPerSecond: frames, maxInboundBytesPerSecond: bytes } =
      this.context.config.limits;
    this.inboundFrames = Math.min(frames, this.inboundFrames + (elapsed * frames) / 1000);
    this.inboundBytes = Math.min(bytes, this.inboundBytes + (elapsed * bytes) / 1000);
  }

  /** Called by CONNECT once the heart-beat agreement is known. */
  startHeartbeats(sendEveryMs: number, expectEveryMs: number): void {
    this.sendEveryMs = sendEveryMs;
    this.expectEveryMs = expectEveryMs;
    this.lastReadAt = Date.now();
    this.lastWriteAt = this.lastReadAt;
    this.context.scheduler.requireResolution(sendEveryMs);
    this.context.scheduler.requireResolution(expectEveryMs);
  }
}
