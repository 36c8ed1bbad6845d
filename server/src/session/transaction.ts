import type { MessageOptions } from '../broker/message.js';
import type { Subscription } from '../broker/subscription.js';
import type { FrameHeaders } from '../protocol/frame.js';

/** A SEND held back until COMMIT. */
export interface PendingSend {
  kind: 'send';
  destination: string;
  headers: FrameHeaders;
  body: Buffer;
  options: MessageOptions;
}

/** An ACK or NACK held back until COMMIT. */
export interface PendingSettle {
  kind: 'ack' | 'nack';
  subscription: Subscription;
  tag: number;
  /** NACK only: redeliver (true) or dead-letter at once (false). */
  requeue: boolean;
}

export type PendingWork = PendingSend | PendingSettle;

/** BEGIN … COMMIT/ABORT: the work of one transaction, applied in order on COMMIT. */
export interface Transaction {
  readonly id: string;
  readonly work: PendingWork[];
}
