import type { Client } from '@stomp/stompjs';
import type { encodeBody } from './message.js';

interface ReceiptWaiter {
  resolve(): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * SENDs that wait for the broker's RECEIPT: each settles when it arrives,
 * when an ERROR names its receipt, when the connection ends, or after its
 * timeout.
 */
export class Receipts {
  private readonly waiting = new Map<string, ReceiptWaiter>();
  private nextReceipt = 0;
  /** Prefix of this client's receipt ids. */
  private readonly instanceId: string;

  constructor(instanceId: string) {
    this.instanceId = instanceId;
  }

  /** SEND on `stomp` with a `receipt` header; resolves on the RECEIPT. */
  send(
    stomp: Client,
    destination: string,
    headers: Record<string, string>,
    body: ReturnType<typeof encodeBody>,
    timeoutMs: number,
  ): Promise<void> {
    const receipt = `${this.instanceId}-r${++this.nextReceipt}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(receipt);
        reject(new Error(`no RECEIPT for the SEND to ${destination} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(receipt, {
        resolve,
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
        timer,
      });
      stomp.watchForReceipt(receipt, () => {
        const waiter = this.waiting.get(receipt);
        if (waiter === undefined) return;
        this.waiting.delete(receipt);
        clearTimeout(waiter.timer);
        waiter.resolve();
      });
      stomp.publish({ destination, headers: { ...headers, receipt }, ...body });
    });
  }

  /** The broker answered receipt `receipt` with ERROR: that SEND fails with it. */
  reject(receipt: string | undefined, error: Error): void {
    const waiter = receipt === undefined ? undefined : this.waiting.get(receipt);
    if (waiter === undefined) return;
    this.waiting.delete(receipt!);
    waiter.reject(error);
  }

  /** The connection is gone: no waiting RECEIPT can arrive any more. */
  failAll(error: Error): void {
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    for (const waiter of waiters) waiter.reject(error);
  }
}
