import type { IMessage } from '@stomp/stompjs';

/** A message delivered to a subscription handler (or as the reply to `request()`). */
export interface ReceivedMessage {
  /** The destination it was published to. */
  destination: string;
  /** Every header of the MESSAGE frame. */
  headers: Record<string, string>;
  /** Parsed JSON when `content-type` says JSON (the text if it does not parse), else the text. */
  body: unknown;
  /** The body as text (UTF-8). */
  text: string;
  /** The body as bytes. */
  binary: Uint8Array;
  /** Acknowledge it (subscriptions with `client` or `client-individual` acks). */
  ack(): void;
  /** Refuse it: the broker redelivers it or dead-letters it. */
  nack(): void;
}

/** Body and content headers for a SEND. */
export function encodeBody(
  body: string | object | Uint8Array,
  headers: Record<string, string>,
): { body: string } | { binaryBody: Uint8Array } {
  if (typeof body === 'string') return { body };
  if (body instanceof Uint8Array) return { binaryBody: body };
  if (body === null || typeof body !== 'object') {
    throw new TypeError(`a message body must be a string, an object or a Uint8Array, got ${body}`);
  }
  headers['content-type'] ??= 'application/json';
  return { body: JSON.stringify(body) };
}

/** Turn a stompjs message into a ReceivedMessage; `ack`/`nack` are supplied by the client. */
export function toReceived(message: IMessage, ack: () => void, nack: () => void): ReceivedMessage {
  const headers: Record<string, string> = { ...message.headers };
  const text = message.body;
  let body: unknown = text;
  if ((headers['content-type'] ?? '').toLowerCase().includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return {
    destination: headers.destination ?? '',
    headers,
    body,
    text,
    get binary() {
      return message.binaryBody;
    },
    ack,
    nack,
  };
}
