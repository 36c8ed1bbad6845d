import type { Message } from '../broker/message.js';
import type { Subscription } from '../broker/subscription.js';

/** One MESSAGE as it was (or would have been) written, so it can be written again. */
export interface Delivery {
  subscription: Subscription;
  message: Message;
  tag: number;
  redeliveries: number;
  replay: boolean;
}

export interface ResumeLimits {
  maxBufferedMessages: number;
  maxBufferedBytes: number;
}

/** How many recent deliveries a connection remembers, to re-send what a dropped socket lost in flight. */
const RECENT = 64;

/**
 * What lets a dropped browser connection come back without a gap: the last
 * few deliveries written to it (the socket may have lost them in flight),
 * and, while it is parked, the deliveries it would have received — both
 * bounded, so a vanished client costs bounded memory.
 */
export class Resumption {
  // Parallel arrays, not an object per delivery: recording sits on the fan-out hot path.
  private readonly subscriptions: (Subscription | undefined)[] = new Array(RECENT);
  private readonly messages: (Message | undefined)[] = new Array(RECENT);
  private readonly tags = new Float64Array(RECENT);
  private readonly redeliveries = new Uint32Array(RECENT);
  private readonly replays = new Uint8Array(RECENT);
  private next = 0;
  private parked: Delivery[] = [];
  private parkedBytes = 0;
  parkedUntil = 0;

  /** A delivery was written to the live connection. */
  record(
    subscription: Subscription,
    message: Message,
    tag: number,
    redeliveries: number,
    replay: boolean,
  ): void {
    const i = this.next;
    this.subscriptions[i] = subscription;
    this.messages[i] = message;
    this.tags[i] = tag;
    this.redeliveries[i] = redeliveries;
    this.replays[i] = replay ? 1 : 0;
    this.next = (i + 1) % RECENT;
  }

  /** Keep a delivery for the parked session; false when over the limits (resumption is then given up). */
  hold(delivery: Delivery, limits: ResumeLimits): boolean {
    this.parked.push(delivery);
    this.parkedBytes += delivery.message.body.length;
    return (
      this.parked.length <= limits.maxBufferedMessages &&
      this.parkedBytes <= limits.maxBufferedBytes
    );
  }

  /**
   * What to write to the resumed connection, in original order: the recent
   * deliveries after `lastSeenId` (the client says what it saw last; without
   * it only what is still unacknowledged is re-sent), then everything held
   * while parked.
   */
  toResend(lastSeenId: string | undefined): Delivery[] {
    const recent: Delivery[] = [];
    for (let n = 0; n < RECENT; n++) {
      const i = (this.next + n) % RECENT;
      const subscription = this.subscriptions[i];
      const message = this.messages[i];
      if (subscription === undefined || message === undefined) continue;
      const tag = this.tags[i]!;
      recent.push({
        subscription,
        message,
        tag,
        redeliveries: this.redeliveries[i]!,
        replay: this.replays[i] === 1,
      });
    }
    let start = recent.length;
    let found = false;
    if (lastSeenId !== undefined) {
      for (let i = recent.length - 1; i >= 0; i--) {
        if (recent[i]!.message.id === lastSeenId) {
          start = i + 1;
          found = true;
          break;
        }
      }
    }
    const resend = recent.slice(start);
    if (!found) {
      // Unknown position: at least everything still awaiting an ACK goes out again.
      for (const delivery of recent.slice(0, start)) {
        if (delivery.tag !== 0 && delivery.subscription.isPending(delivery.tag)) {
          resend.push({ ...delivery, redeliveries: delivery.redeliveries + 1 });
        }
      }
    }
    return [...resend, ...this.parked];
  }
}
