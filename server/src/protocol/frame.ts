/** STOMP protocol versions this broker speaks, oldest first. */
export type StompVersion = '1.0' | '1.1' | '1.2';

export const SUPPORTED_VERSIONS: readonly StompVersion[] = ['1.0', '1.1', '1.2'];

/**
 * Headers of one frame. When a name repeats on the wire the first value wins
 * (STOMP 1.2, "Repeated Header Entries"). Always created with a null prototype
 * so that a header named `__proto__` or `constructor` is plain data.
 */
export type FrameHeaders = Record<string, string>;

export interface Frame {
  /** The command line as sent, e.g. `SEND`. */
  command: string;
  headers: FrameHeaders;
  /** The body bytes, owned by the frame (never a view on a transport buffer). */
  body: Buffer;
}

export function createHeaders(): FrameHeaders {
  return Object.create(null) as FrameHeaders;
}

export const EMPTY_BODY: Buffer = Buffer.alloc(0);
