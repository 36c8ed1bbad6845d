import { encodeHeaderLines } from '../protocol/encoder.js';
import type { FrameHeaders, StompVersion } from '../protocol/frame.js';

/**
 * One published message. Shared by every subscriber it reaches: nothing in it
 * changes per delivery except the flags queues keep about it.
 */
export interface Message {
  /** Broker-assigned `message-id`, unique per broker run. */
  readonly id: string;
  /** Global publish order; a requeued message goes back in this order. */
  readonly seq: number;
  /** Headers every delivery carries: destination, message-id and the application headers of the SEND. */
  readonly headers: FrameHeaders;
  readonly body: Buffer;
  /** Whether it was handed to a consumer before (drives `redelivered:true`). */
  delivered: boolean;
  /** How many times a consumer got it without acknowledging it. */
  redeliveries: number;
  /** The shared header lines, encoded once per protocol version on first use. */
  encoded: [Buffer | undefined, Buffer | undefined, Buffer | undefined];
}

const VERSION_SLOT: Record<StompVersion, 0 | 1 | 2> = { '1.0': 0, '1.1': 1, '1.2': 2 };

/** Header lines shared by every delivery of `message` in `version`, encoded once (fan-out writes them N times). */
export function sharedHeaderLines(message: Message, version: StompVersion): Buffer {
  const slot = VERSION_SLOT[version];
  let lines = message.encoded[slot];
  if (lines === undefined) {
    lines = encodeHeaderLines(message.headers, version);
    message.encoded[slot] = lines;
  }
  return lines;
}

export function createMessage(
  id: string,
  seq: number,
  headers: FrameHeaders,
  body: Buffer,
): Message {
  return {
    id,
    seq,
    headers,
    body,
    delivered: false,
    redeliveries: 0,
    encoded: [undefined, undefined, undefined],
  };
}
