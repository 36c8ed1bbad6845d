/**
 * One connection's frame trace: while an operator watches a connection (the
 * admin API's frame tracer), the session copies each frame in and out into
 * this bounded ring — command, headers with secrets redacted, and a body
 * preview. A session that is not traced holds null and pays one null check
 * per frame; all the copying below happens only while a trace is on.
 */
import { isUtf8 } from 'node:buffer';
import type { Frame, StompVersion } from '../protocol/frame.js';

export interface FrameTraceLimits {
  /** Frames kept; older ones fall out of the ring (counted in `dropped`). */
  maxFrames: number;
  /** The trace stops by itself this long after it started. */
  maxDurationMs: number;
  /** Bytes of each body copied into the preview. */
  bodyPreviewBytes: number;
}

export interface TracedFrame {
  /** 1, 2, 3… in the order the session saw the frames, both directions together. */
  seq: number;
  /** When, ms since the epoch. */
  at: number;
  direction: 'in' | 'out';
  command: string;
  /** As on the wire (unescaped), secrets replaced by REDACTED. */
  headers: Record<string, string>;
  /** The start of the body: text when it is UTF-8, else base64 (see bodyEncoding). */
  bodyPreview: string;
  bodyEncoding: 'utf8' | 'base64';
  /** The whole body's size in bytes. */
  bodySize: number;
}

export const REDACTED = '[redacted]';

/**
 * Header names whose values are secrets: CONNECT passcode, JWTs, HTTP-style
 * authorization, and the resume token that lets a dropped client take its
 * session back. `login` stays visible: it names who, it proves nothing.
 */
const SECRET_HEADER = /passcode|password|secret|authorization|cookie|token$|^x-resume$/i;
/** A SEND here carries a fresh JWT as its body (session/handlers/access.ts). */
const SECRET_BODY_DESTINATION = '/system/token';

const LF = 0x0a;
const CR = 0x0d;

export class FrameTrace {
  readonly traceId: string;
  readonly startedAt: number;
  readonly expiresAt: number;
  active = true;
  /** Frames pushed out of the ring by newer ones. */
  dropped = 0;
  private readonly ring: (TracedFrame | undefined)[];
  private next = 0;
  private seq = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    traceId: string,
    private readonly limits: FrameTraceLimits,
    /** Told once when the trace stops (by request, expiry or connection end): detach the tap. */
    private readonly onStop: (trace: FrameTrace) => void,
  ) {
    this.traceId = traceId;
    this.startedAt = Date.now();
    this.expiresAt = this.startedAt + limits.maxDurationMs;
    this.ring = new Array(limits.maxFrames);
    this.timer = setTimeout(() => this.stop(), limits.maxDurationMs);
    this.timer.unref();
  }

  /** A frame the client sent, as parsed. */
  inbound(frame: Frame): void {
    const headers: Record<string, string> = {};
    for (const name in frame.headers) headers[name] = redact(name, frame.headers[name]!);
    const secretBody = frame.headers.destination === SECRET_BODY_DESTINATION;
    this.push('in', frame.command, headers, frame.body, 0, frame.body.length, secretBody);
  }

  /** One encoded frame the session wrote (a lone EOL is a heart-beat: not recorded). */
  outbound(bytes: Uint8Array, version: StompVersion): void {
    if (bytes.length <= 2 && (bytes[0] === LF || bytes[0] === CR)) return;
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    let lineStart = 0;
    let command = '';
    const headers: Record<string, string> = {};
    let i = 0;
    for (; i < buffer.length; i++) {
      if (buffer[i] !== LF) continue;
      const end = i > lineStart && buffer[i - 1] === CR ? i - 1 : i;
      const line = buffer.toString('utf8', lineStart, end);
      lineStart = i + 1;
      if (command === '') {
        command = line;
        continue;
      }
      if (line === '') break;
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon);
      // First value wins, as a receiving client would read it (STOMP 1.2, repeated headers).
      if (name in headers) continue;
      const raw = line.slice(colon + 1);
      const value = version === '1.0' || command === 'CONNECTED' ? raw : unescapeHeader(raw);
      headers[name] = redact(name, value);
    }
    const bodyStart = Math.min(i + 1, buffer.length);
    let bodyEnd = buffer.length;
    while (bodyEnd > bodyStart && buffer[bodyEnd - 1] !== 0) bodyEnd--;
    if (bodyEnd > bodyStart) bodyEnd--; // the NUL that ends the frame
    this.push('out', command, headers, buffer, bodyStart, bodyEnd, false);
  }

  /** Frames after `after` (a seq), oldest first. */
  read(after: number): TracedFrame[] {
    const out: TracedFrame[] = [];
    const size = this.ring.length;
    for (let k = 0; k < size; k++) {
      const frame = this.ring[(this.next + k) % size];
      if (frame !== undefined && frame.seq > after) out.push(frame);
    }
    return out;
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    clearTimeout(this.timer);
    this.onStop(this);
  }

  private push(
    direction: 'in' | 'out',
    command: string,
    headers: Record<string, string>,
    body: Buffer,
    start: number,
    end: number,
    secretBody: boolean,
  ): void {
    if (!this.active) return;
    if (this.ring[this.next] !== undefined) this.dropped++;
    const size = end - start;
    let bodyPreview = '';
    let bodyEncoding: 'utf8' | 'base64' = 'utf8';
    if (secretBody && size > 0) bodyPreview = REDACTED;
    else if (size > 0) {
      const previewEnd = Math.min(end, start + this.limits.bodyPreviewBytes);
      const text = utf8Prefix(body.subarray(start, previewEnd), previewEnd < end);
      if (text === null) {
        bodyEncoding = 'base64';
        bodyPreview = body.toString('base64', start, previewEnd);
      } else bodyPreview = text;
    }
    this.ring[this.next] = {
      seq: ++this.seq,
      at: Date.now(),
      direction,
      command,
      headers,
      bodyPreview,
      bodyEncoding,
      bodySize: size,
    };
    this.next = (this.next + 1) % this.ring.length;
  }
}

function redact(name: string, value: string): string {
  return SECRET_HEADER.test(name) && value !== '' ? REDACTED : value;
}

/** STOMP 1.1/1.2 header unescaping (\\, \n, \r, \c), for display. */
function unescapeHeader(value: string): string {
  if (!value.includes('\\')) return value;
  return value.replace(/\\(.)/g, (_, c: string) =>
    c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'c' ? ':' : c,
  );
}

/**
 * The bytes as text if they are UTF-8, else null. When the preview cut the
 * body short, a character split by the cut (up to 3 bytes) is left out.
 */
function utf8Prefix(bytes: Buffer, truncated: boolean): string | null {
  const maxCut = truncated ? Math.min(3, bytes.length - 1) : 0;
  for (let cut = 0; cut <= maxCut; cut++) {
    const candidate = bytes.subarray(0, bytes.length - cut);
    if (isUtf8(candidate)) return candidate.toString('utf8');
  }
  return null;
}
