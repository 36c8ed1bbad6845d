/**
 * Sends messages in batches and confirms each batch with a RECEIPT: only the
 * last SEND of a batch asks for one, and since the broker handles a
 * connection's frames in order, that receipt confirms the whole batch.
 *
 * Messages queue here and go out on the next turn of the event loop (so one
 * chunk of input becomes one batch, or several of `batchSize`). Producers
 * call `waitForRoom()` to stay within `maxUnconfirmed`. After a reconnect,
 * `resend()` sends every unconfirmed message again (at-least-once).
 */
import type { Client, StompHeaders } from '@stomp/stompjs';

export interface OutgoingMessage {
  destination: string;
  body: string;
  headers: StompHeaders;
}

export interface PublisherOptions {
  /** SENDs per RECEIPT. */
  batchSize: number;
  /** Messages queued or sent but not yet confirmed before producers must wait. */
  maxUnconfirmed: number;
}

let receiptPrefix = 0;

export class BatchPublisher {
  private readonly queued: OutgoingMessage[] = [];
  /** Receipt id → the batch it confirms, oldest first (Map keeps insertion order). */
  private readonly inFlight = new Map<string, OutgoingMessage[]>();
  private inFlightCount = 0;
  private flushScheduled = false;
  private sequence = 0;
  private readonly prefix = `stompede-cli-${process.pid}-${++receiptPrefix}-`;
  private failure: Error | null = null;
  private roomWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private drainWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  /** Messages the broker has confirmed. */
  confirmed = 0;

  constructor(
    private readonly client: Client,
    private readonly options: PublisherOptions,
  ) {}

  get unconfirmed(): number {
    return this.queued.length + this.inFlightCount;
  }

  send(message: OutgoingMessage): void {
    if (this.failure) throw this.failure;
    this.queued.push(message);
    if (this.queued.length >= this.options.batchSize) this.flush();
    else this.scheduleFlush();
  }

  /** Resolves once there is room for more messages; rejects after `fail()`. */
  waitForRoom(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.unconfirmed < this.options.maxUnconfirmed) return Promise.resolve();
    return new Promise((resolve, reject) => this.roomWaiters.push({ resolve, reject }));
  }

  /** Resolves once every message so far is confirmed; rejects after `fail()`. */
  drain(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.flush();
    if (this.unconfirmed === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.drainWaiters.push({ resolve, reject }));
  }

  /** Stop for good: the connection is gone or the broker said ERROR. */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const w of [...this.roomWaiters.splice(0), ...this.drainWaiters.splice(0)]) {
      w.reject(error);
    }
  }

  /** After a reconnect: the old connection's receipts will never come, so send those batches again. */
  resend(): void {
    const unconfirmed = [...this.inFlight.values()].flat();
    this.inFlight.clear();
    this.inFlightCount = 0;
    this.queued.unshift(...unconfirmed);
    this.flush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.failure || !this.client.connected) return;
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0, this.options.batchSize);
      const receipt = `${this.prefix}${++this.sequence}`;
      this.inFlight.set(receipt, batch);
      this.inFlightCount += batch.length;
      this.client.watchForReceipt(receipt, () => this.confirm(receipt));
      try {
        batch.forEach((m, i) => {
          const headers = i === batch.length - 1 ? { ...m.headers, receipt } : m.headers;
          this.client.publish({ destination: m.destination, body: m.body, headers });
        });
      } catch {
        // The connection went away mid-batch: keep the batch for resend() or fail().
        return;
      }
    }
  }

  /** A receipt confirms its batch and, frames being handled in order, every batch sent before it. */
  private confirm(receipt: string): void {
    if (!this.inFlight.has(receipt)) return;
    for (const [id, batch] of this.inFlight) {
      this.inFlight.delete(id);
      this.inFlightCount -= batch.length;
      this.confirmed += batch.length;
      if (id === receipt) break;
    }
    if (this.unconfirmed < this.options.maxUnconfirmed) {
      for (const w of this.roomWaiters.splice(0)) w.resolve();
    }
    if (this.unconfirmed === 0) {
      for (const w of this.drainWaiters.splice(0)) w.resolve();
    }
  }
}
