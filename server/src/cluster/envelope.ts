import type { StoredMessage } from '../store/store.js';

/** One message as it crosses Redis (a topic publish, or a queue stream entry). */
export interface ClusterMessage {
  /** The node it was published on (a node ignores its own topic publishes: it served them locally). */
  node: string;
  /** `seq` is meaningless across nodes (each receiver assigns its own); the rest is as published. */
  message: StoredMessage;
  persistent: boolean;
}

/**
 * Binary form: 4-byte big-endian length of a JSON head (node, headers,
 * options), the head, then the body bytes as they are (no base64: bodies
 * may be binary and large).
 */
export function encodeClusterMessage(
  node: string,
  message: StoredMessage,
  persistent: boolean,
): Buffer {
  const head = Buffer.from(
    JSON.stringify({
      n: node,
      h: message.headers,
      p: persistent ? 1 : 0,
      r: message.priority,
      e: message.expires,
      t: message.timestamp,
    }),
    'utf8',
  );
  const out = Buffer.allocUnsafe(4 + head.length + message.body.length);
  out.writeUInt32BE(head.length, 0);
  head.copy(out, 4);
  message.body.copy(out, 4 + head.length);
  return out;
}

/** Decode what encodeClusterMessage made; null for bytes that are not one (logged by the caller). */
export function decodeClusterMessage(bytes: Buffer): ClusterMessage | null {
  if (bytes.length < 4) return null;
  const headLength = bytes.readUInt32BE(0);
  if (4 + headLength > bytes.length) return null;
  let head: { n: string; h: Record<string, string>; p: number; r: number; e: number; t: number };
  try {
    head = JSON.parse(bytes.toString('utf8', 4, 4 + headLength));
  } catch {
    return null;
  }
  if (typeof head !== 'object' || head === null || typeof head.h !== 'object') return null;
  return {
    node: String(head.n),
    persistent: head.p === 1,
    message: {
      seq: 0,
      id: head.h['message-id'] ?? '',
      headers: head.h,
      body: bytes.subarray(4 + headLength),
      priority: head.r,
      expires: head.e,
      timestamp: head.t,
    },
  };
}

/**
 * Several encoded messages in one pub/sub payload (the messages one node
 * published to one topic in one turn of its event loop): each is prefixed
 * with its 4-byte big-endian length.
 */
export function encodeBatch(parts: readonly Buffer[]): Buffer {
  let size = 0;
  for (const part of parts) size += 4 + part.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const part of parts) {
    out.writeUInt32BE(part.length, at);
    part.copy(out, at + 4);
    at += 4 + part.length;
  }
  return out;
}

/** The messages of a batch, in order; null when the bytes are not one. */
export function decodeBatch(bytes: Buffer): ClusterMessage[] | null {
  const out: ClusterMessage[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) return null;
    const length = bytes.readUInt32BE(at);
    if (at + 4 + length > bytes.length) return null;
    const message = decodeClusterMessage(bytes.subarray(at + 4, at + 4 + length));
    if (message === null) return null;
    out.push(message);
    at += 4 + length;
  }
  return out.length === 0 ? null : out;
}
