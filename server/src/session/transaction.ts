import type { MessageOptions } from '../broker/message.js';
import type { NackMode, Subscription } from '../broker/subscription.js';
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
  /** NACK only: how it settles (see Subscription.nack). */
  mode: NackMode;
}

export type PendingWork = PendingSend | PendingSettle;

/** BEGIN … COMMIT/ABORT: the work of one transaction, applied in order on COMMIT. */
export interface Transaction {
  readonly id: string;
  readonly work: PendingWork[];
}
