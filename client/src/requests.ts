import type { Client, IMessage } from '@stomp/stompjs';
import { type ReceivedMessage, toReceived } from './message.js';
import { DEFAULTS } from './options.js';

interface PendingRequest {
  resolve(message: ReceivedMessage): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
  /** The session epoch the request went out on; -1 while still queued. */
  epoch: number;
}

/**
 * Request/reply bookkeeping: the requests waiting for a reply by
 * correlation-id, and the subscription to this connection's reply queue
 * (made once per broker session, on the first request).
 */
export class PendingRequests {
  private readonly waiting = new Map<string, PendingRequest>();
  private nextCorrelation = 0;
  private replySubscribed = false;
  /** Prefix of this client's correlation-ids. */
  private readonly instanceId: string;
  /** Where replies go: the client's MESSAGE entry point. */
  private readonly onMessage: (message: IMessage) => void;

  constructor(instanceId: string, onMessage: (message: IMessage) => void) {
    this.instanceId = instanceId;
    this.onMessage = onMessage;
  }

  /** A correlation-id no other request of this client uses. */
  nextCorrelationId(): string {
    return `${this.instanceId}-${++this.nextCorrelation}`;
  }

  /** Wait for the reply to `correlationId`; `reject` is called after `timeoutMs` without one. */
  add(
    correlationId: string,
    destination: string,
    timeoutMs: number,
    resolve: (message: ReceivedMessage) => void,
    reject: (error: Error) => void,
  ): void {
    this.waiting.set(correlationId, {
      resolve,
      reject,
      epoch: -1,
      timer: setTimeout(() => {
        this.waiting.delete(correlationId);
        reject(new Error(`no reply from ${destination} within ${timeoutMs} ms`));
      }, timeoutMs),
    });
  }

  /**
   * The request `correlationId` is about to go out on `stomp` in session
   * `epoch`: subscribe to the reply queue first. False when it timed out
   * while queued (then nothing is to be sent).
   */
  sending(correlationId: string, stomp: Client, epoch: number): boolean {
    const pending = this.waiting.get(correlationId);
    if (pending === undefined) return false;
    this.ensureReplySubscription(stomp);
    pending.epoch = epoch;
    return true;
  }

  /** The request could not be sent: it fails with `error`. */
  fail(correlationId: string, error: Error): void {
    const pending = this.waiting.get(correlationId);
    if (pending !== undefined) clearTimeout(pending.timer);
    this.waiting.delete(correlationId);
    if (pending !== undefined) pending.reject(error);
  }

  /** A MESSAGE on the reply subscription: it settles the request it correlates to. */
  settle(message: IMessage): void {
    const correlationId = message.headers['correlation-id'];
    const request = correlationId === undefined ? undefined : this.waiting.get(correlationId);
    if (request === undefined) return; // late (timed out) or not ours
    this.waiting.delete(correlationId!);
    clearTimeout(request.timer);
    request.resolve(
      toReceived(
        message,
        () => {},
        () => {},
      ),
    );
  }

  /** A new broker session (not a resumption): requests already sent can get no reply. */
  newSession(): void {
    this.replySubscribed = false;
    for (const [correlationId, request] of this.waiting) {
      if (request.epoch < 0) continue;
      // The reply-to named the previous connection's temp queue: no reply can arrive.
      this.waiting.delete(correlationId);
      clearTimeout(request.timer);
      request.reject(new Error('the connection was lost before the reply arrived'));
    }
  }

  /** Closed for good: every request fails with `failure`. */
  failAll(failure: Error): void {
    for (const request of this.waiting.values()) {
      clearTimeout(request.timer);
      request.reject(failure);
    }
    this.waiting.clear();
  }

  private ensureReplySubscription(stomp: Client): void {
    if (this.replySubscribed) return;
    stomp.subscribe(DEFAULTS.replyQueue, this.onMessage, { id: DEFAULTS.replySubscriptionId });
    this.replySubscribed = true;
  }
}
