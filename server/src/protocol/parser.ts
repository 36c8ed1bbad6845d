import { ProtocolError } from './errors.js';
import { findInvalidEscape, isConnectCommand, unescapeHeader } from './escape.js';
import {
  createHeaders,
  EMPTY_BODY,
  type Frame,
  type FrameHeaders,
  type StompVersion,
} from './frame.js';
import { DEFAULT_PARSER_LIMITS, type ParserLimits } from './limits.js';
import { decodeUtf8, hotCommand, knownHeaderName } from './wire-text.js';

export type FrameCallback = (frame: Frame) => void;

/** Placeholder for `headers` between frames; never written (onCommand replaces it first). */
const NO_HEADERS: FrameHeaders = Object.freeze(createHeaders());

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const BACKSLASH = 0x5c;
const UPPER_A = 0x41;
const UPPER_Z = 0x5a;

// Parser states. Plain numbers (not an enum) so the hot switch stays monomorphic.
/** Between frames: skipping heart-beat EOLs. */
const IDLE = 0;
/** Reading the command line. */
const COMMAND = 1;
/** Reading header lines up to the blank line. */
const HEADER = 2;
/** Reading a body of `content-length` bytes. */
const BODY_FIXED = 3;
/** Reading a body that runs to the first NUL. */
const BODY_NUL = 4;
/** A `content-length` body is complete; the next byte must be NUL. */
const TERMINATOR = 5;
type State = 0 | 1 | 2 | 3 | 4 | 5;

const MIN_LINE_CAPACITY = 256;
const MIN_BODY_CAPACITY = 16 * 1024;
const PREVIEW_CHARS = 32;

/**
 * Incremental STOMP frame parser. Bytes go in through {@link push} in chunks of
 * any size; frames come out through the callback as soon as their NUL arrives.
 * Limits are checked while bytes arrive, so memory per parser stays bounded by
 * about `maxFrameSize` (plus one header line) whatever the peer sends.
 */
export class FrameParser {
  /**
   * Header-escaping rules in force; the session sets it right after it
   * negotiates CONNECT. Default '1.0' (no unescaping) because the only legal
   * first frame, CONNECT/STOMP, is never unescaped. Read when a frame's command
   * line completes, so a change made inside the callback applies to the next frame.
   */
  version: StompVersion = '1.0';

  private readonly onFrame: FrameCallback;
  private readonly maxFrameSize: number;
  private readonly maxHeaders: number;
  private readonly maxLine: number;

  private state: State = IDLE;
  private error: ProtocolError | null = null;
  private stopped = false;

  /** Copy of a command/header line split across chunks. */
  private lineBuf: Buffer = EMPTY_BODY;
  private lineLen = 0;

  // The frame being parsed.
  private command = '';
  /** The frame being parsed's headers; between frames the shared NO_HEADERS (onCommand makes a fresh object). */
  private headers: FrameHeaders = NO_HEADERS;
  private headerCount = 0;
  /** Escaping rules for this frame's headers ('1.0' = none). */
  private frameVersion: StompVersion = '1.0';
  /** Bytes of completed lines of this frame, EOLs included. */
  private headSize = 0;
  /** `content-length`, or -1 when the body runs to the first NUL. */
  private bodyLength = -1;
  /** Body bytes received so far. */
  private bodyReceived = 0;
  /** Body bytes split across chunks (first `bodyReceived` bytes are valid). */
  private bodyBuf: Buffer = EMPTY_BODY;
  /** A complete `content-length` body waiting for its NUL. */
  private body: Buffer = EMPTY_BODY;

  constructor(onFrame: FrameCallback, limits?: Partial<ParserLimits>) {
    this.onFrame = onFrame;
    this.maxFrameSize = checkLimit(limits, 'maxFrameSize');
    this.maxHeaders = checkLimit(limits, 'maxHeaders');
    this.maxLine = checkLimit(limits, 'maxHeaderLineLength');
  }

  /** Bytes of the current partial frame received so far (0 between frames). */
  get bufferedBytes(): number {
    return this.state === IDLE ? 0 : this.headSize + this.lineLen + this.bodyReceived;
  }

  /**
   * Feed bytes. The chunk is only valid during the call: everything kept is
   * copied. Emits zero or more frames synchronously via the callback. Throws
   * ProtocolError on bad input; after that the parser is dead and every later
   * push throws the same error. If the callback throws, the exception propagates
   * and the parser behaves as if {@link stop} had been called.
   */
  push(chunk: Uint8Array): void {
    if (this.error !== null) throw this.error;
    if (this.stopped) return;
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const end = buf.length;
    let pos = 0;
    try {
      while (pos < end && !this.stopped) {
        switch (this.state) {
          case IDLE:
            pos = this.skipHeartbeats(buf, pos);
            break;
          case COMMAND:
          case HEADER:
            pos = this.readLine(buf, pos);
            break;
          case BODY_FIXED:
            pos = this.readFixedBody(buf, pos);
            break;
          case BODY_NUL:
            pos = this.readNulBody(buf, pos);
            break;
          case TERMINATOR:
            pos = this.readTerminator(buf, pos);
            break;
        }
      }
    } catch (err) {
      if (err !== this.error) this.stopped = true;
      throw err;
    }
  }

  /** Emit nothing more, from this chunk or later ones. */
  stop(): void {
    this.stopped = true;
  }

  private skipHeartbeats(buf: Buffer, pos: number): number {
    const end = buf.length;
    while (pos < end && buf[pos] === LF) pos++;
    if (pos < end) {
      this.state = COMMAND;
      this.headSize = 0;
      this.lineLen = 0;
    }
    return pos;
  }

  /** Consume (part of) a command or header line. */
  private readLine(buf: Buffer, pos: number): number {
    const lf = buf.indexOf(LF, pos);
    if (lf === -1) {
      // The line continues in a later chunk: check what we have, keep a copy.
      const end = buf.length;
      const total = this.lineLen + (end - pos);
      if (total > this.maxLine && !(total === this.maxLine + 1 && buf[end - 1] === CR)) {
        throw this.fail(this.lineTooLong());
      }
      if (this.headSize + total > this.maxFrameSize) throw this.fail(this.frameTooLarge(-1));
      const from = this.lineLen;
      this.appendLine(buf, pos, end);
      if (this.state === COMMAND) this.checkPartialCommand(from);
      return end;
    }

    let src = buf;
    let start = pos;
    let stop = lf;
    if (this.lineLen !== 0) {
      if (this.lineLen + (lf - pos) > this.maxLine + 1) throw this.fail(this.lineTooLong());
      this.appendLine(buf, pos, lf);
      src = this.lineBuf;
      start = 0;
      stop = this.lineLen;
    }
    const lineBytes = stop - start + 1; // with its EOL
    if (stop > start && src[stop - 1] === CR) stop--;
    this.lineLen = 0;

    if (stop - start > this.maxLine) throw this.fail(this.lineTooLong());
    if (this.state === COMMAND && stop === start) {
      // CRLF heart-beat.
      this.state = IDLE;
      return lf + 1;
    }
    this.headSize += lineBytes;
    if (this.headSize > this.maxFrameSize) throw this.fail(this.frameTooLarge(-1));

    if (this.state === COMMAND) this.onCommand(src, start, stop);
    else if (stop === start) this.onHeadersEnd();
    else this.onHeader(src, start, stop);
    return lf + 1;
  }

  private appendLine(buf: Buffer, start: number, end: number): void {
    const need = this.lineLen + (end - start);
    if (need > this.lineBuf.length) {
      const capacity = Math.min(
        Math.max(need, this.lineBuf.length * 2, MIN_LINE_CAPACITY),
        this.maxLine + 1,
      );
      const grown = Buffer.allocUnsafe(capacity);
      this.lineBuf.copy(grown, 0, 0, this.lineLen);
      this.lineBuf = grown;
    }
    buf.copy(this.lineBuf, this.lineLen, start, end);
    this.lineLen = need;
  }

  /** Reject garbage as soon as it arrives instead of waiting for a LF. */
  private checkPartialCommand(from: number): void {
    const line = this.lineBuf;
    const last = this.lineLen - 1;
    // A CR that ended the previous piece is no longer last: re-check it.
    for (let i = from > 0 ? from - 1 : 0; i <= last; i++) {
      const c = line[i]!;
      if ((c < UPPER_A || c > UPPER_Z) && !(c === CR && i === last)) {
        throw this.fail(invalidCommand(line, 0, this.lineLen));
      }
    }
  }

  private onCommand(src: Buffer, start: number, stop: number): void {
    for (let i = start; i < stop; i++) {
      const c = src[i]!;
      if (c < UPPER_A || c > UPPER_Z) throw this.fail(invalidCommand(src, start, stop));
    }
    const command = hotCommand(src, start, stop) ?? src.toString('latin1', start, stop);
    this.command = command;
    this.headers = createHeaders();
    this.headerCount = 0;
    this.frameVersion = isConnectCommand(command) ? '1.0' : this.version;
    this.state = HEADER;
  }

  private onHeader(src: Buffer, start: number, stop: number): void {
    if (++this.headerCount > this.maxHeaders) {
      throw this.fail(
        new ProtocolError(
          'too-many-headers',
          'too many headers',
          `The ${this.command} frame has more than ${this.maxHeaders} header lines (limit maxHeaders). Send fewer headers, or raise limits.maxHeaders in the broker config.`,
        ),
      );
    }
    // One pass over the bytes: the first colon, and whether any backslash needs unescaping.
    let colon = -1;
    let backslash = false;
    for (let i = start; i < stop; i++) {
      const c = src[i]!;
      if (c === COLON) {
        if (colon === -1) colon = i;
      } else if (c === BACKSLASH) {
        backslash = true;
      }
    }
    if (colon <= start) {
      const line = decodeUtf8(src, start, stop);
      const what = colon === -1 ? 'has no colon' : 'has an empty name';
      throw this.fail(
        new ProtocolError(
          'invalid-header',
          colon === -1 ? 'header without colon' : 'empty header name',
          `A header line of the ${this.command} frame ${what}: ${quote(line)}. Each header line must be name:value with a non-empty name.`,
        ),
      );
    }
    // Name and value decoded apart: a colon byte never falls inside a UTF-8
    // sequence, so this reads the same text as decoding the line and splitting it.
    let name = knownHeaderName(src, start, colon) ?? decodeUtf8(src, start, colon);
    let value = colon + 1 === stop ? '' : decodeUtf8(src, colon + 1, stop);
    if (backslash && this.frameVersion !== '1.0') {
      const rawName = name;
      const n = unescapeHeader(name, this.frameVersion);
      const v = unescapeHeader(value, this.frameVersion);
      if (n === undefined || v === undefined) {
        const bad = findInvalidEscape(n === undefined ? rawName : value);
        throw this.fail(
          new ProtocolError(
            'invalid-escape',
            `invalid escape in header ${quote(rawName)}`,
            `The header ${quote(rawName)} of the ${this.command} frame contains the undefined escape sequence ${quote(bad)}. STOMP 1.2 allows only \\r, \\n, \\c and \\\\ in headers; send a backslash as \\\\.`,
          ),
        );
      }
      name = n;
      value = v;
    }
    // Repeated header: the first occurrence wins.
    if (this.headers[name] === undefined) this.headers[name] = value;
  }

  private onHeadersEnd(): void {
    const declared = this.headers['content-length'];
    if (declared === undefined) {
      this.bodyLength = -1;
      this.state = BODY_NUL;
      return;
    }
    if (!isDecimal(declared)) {
      throw this.fail(
        new ProtocolError(
          'invalid-content-length',
          'invalid content-length',
          `The content-length header of the ${this.command} frame is ${quote(declared)}; it must be a non-negative decimal integer giving the body size in bytes. Fix the value, or leave the header out and end the body with a NUL byte.`,
        ),
      );
    }
    const length = Number(declared);
    if (this.headSize + length > this.maxFrameSize) throw this.fail(this.frameTooLarge(length));
    this.bodyLength = length;
    if (length === 0) {
      this.body = EMPTY_BODY;
      this.state = TERMINATOR;
    } else {
      this.state = BODY_FIXED;
    }
  }

  private readFixedBody(buf: Buffer, pos: number): number {
    const need = this.bodyLength - this.bodyReceived;
    const available = buf.length - pos;
    if (available < need) {
      this.appendBody(buf, pos, buf.length, this.bodyLength);
      return buf.length;
    }
    const end = pos + need;
    this.body = this.takeBody(buf, pos, end);
    this.state = TERMINATOR;
    return end;
  }

  private readTerminator(buf: Buffer, pos: number): number {
    const c = buf[pos]!;
    if (c !== NUL) {
      throw this.fail(
        new ProtocolError(
          'missing-frame-terminator',
          'missing frame terminator',
          `The ${this.bodyLength}-byte body of the ${this.command} frame (from its content-length header) must be followed by a NUL byte, but the next byte was 0x${c.toString(16).padStart(2, '0')}. Make content-length the body's length in bytes (UTF-8 bytes, not characters).`,
        ),
      );
    }
    const body = this.body;
    this.body = EMPTY_BODY;
    this.emit(body);
    return pos + 1;
  }

  private readNulBody(buf: Buffer, pos: number): number {
    const nul = buf.indexOf(NUL, pos);
    const end = nul === -1 ? buf.length : nul;
    if (this.headSize + this.bodyReceived + (end - pos) > this.maxFrameSize) {
      throw this.fail(this.frameTooLarge(-1));
    }
    if (nul === -1) {
      this.appendBody(buf, pos, end, this.maxFrameSize - this.headSize);
      return end;
    }
    this.emit(this.takeBody(buf, pos, end));
    return nul + 1;
  }

  /** Keep a copy of a body piece; capacity grows by doubling up to `cap`. */
  private appendBody(buf: Buffer, start: number, end: number, cap: number): void {
    const need = this.bodyReceived + (end - start);
    if (need > this.bodyBuf.length) {
      const capacity = Math.min(Math.max(need, this.bodyBuf.length * 2, MIN_BODY_CAPACITY), cap);
      const grown = Buffer.allocUnsafe(capacity);
      this.bodyBuf.copy(grown, 0, 0, this.bodyReceived);
      this.bodyBuf = grown;
    }
    buf.copy(this.bodyBuf, this.bodyReceived, start, end);
    this.bodyReceived = need;
  }

  /** The complete body: what was kept plus `buf[start, end)`, in a buffer of its own. */
  private takeBody(buf: Buffer, start: number, end: number): Buffer {
    const received = this.bodyReceived;
    const total = received + (end - start);
    this.bodyReceived = total;
    if (total === 0) return EMPTY_BODY;
    let body: Buffer;
    if (received !== 0 && this.bodyBuf.length === total) {
      // Grown to exactly the declared content-length: hand it over as is.
      body = this.bodyBuf;
    } else {
      body = Buffer.allocUnsafe(total);
      if (received !== 0) this.bodyBuf.copy(body, 0, 0, received);
    }
    buf.copy(body, received, start, end);
    this.bodyBuf = EMPTY_BODY;
    return body;
  }

  private emit(body: Buffer): void {
    const frame: Frame = { command: this.command, headers: this.headers, body };
    // Not kept between frames: an idle connection would hold its last frame's headers.
    this.headers = NO_HEADERS;
    this.command = '';
    this.state = IDLE;
    this.headSize = 0;
    this.bodyReceived = 0;
    this.onFrame(frame);
  }

  private fail(error: ProtocolError): ProtocolError {
    this.error = error;
    return error;
  }

  private lineTooLong(): ProtocolError {
    if (this.state === COMMAND) {
      return new ProtocolError(
        'header-line-too-long',
        'command line too long',
        `The command line exceeded ${this.maxLine} bytes (limit maxHeaderLineLength) without an end of line. Is this a STOMP client? Otherwise raise limits.maxHeaderLineLength in the broker config.`,
      );
    }
    return new ProtocolError(
      'header-line-too-long',
      'header line too long',
      `A header line of the ${this.command} frame exceeded ${this.maxLine} bytes (limit maxHeaderLineLength). Send shorter headers, or raise limits.maxHeaderLineLength in the broker config.`,
    );
  }

  /** `declared`: the content-length that was too much, or -1 when the bytes themselves were. */
  private frameTooLarge(declared: number): ProtocolError {
    const frame = this.state === COMMAND ? 'The frame' : `The ${this.command} frame`;
    const why =
      declared >= 0
        ? `declares content-length ${declared}, which makes it larger than`
        : 'is larger than';
    return new ProtocolError(
      'frame-too-large',
      'frame too large',
      `${frame} ${why} ${this.maxFrameSize} bytes (limit maxFrameSize). Send smaller messages, or raise limits.maxFrameSize in the broker config.`,
    );
  }
}

function checkLimit(limits: Partial<ParserLimits> | undefined, key: keyof ParserLimits): number {
  const value = limits?.[key] ?? DEFAULT_PARSER_LIMITS[key];
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`limits.${key} must be a positive integer, got ${value}`);
  }
  return value;
}

function isDecimal(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function invalidCommand(src: Buffer, start: number, stop: number): ProtocolError {
  // Decode a few bytes more than we show, so a cut UTF-8 sequence never reaches the preview.
  const text = src.toString('utf8', start, Math.min(stop, start + PREVIEW_CHARS * 4));
  const shown = quote(text);
  return new ProtocolError(
    'invalid-command',
    `invalid command ${shown}`,
    `A frame must start with a command of uppercase letters A-Z (such as SEND) alone on its line, but got ${shown}. Is this a STOMP client?`,
  );
}

/**
 * Quote peer-supplied text for an error message: at most 32 characters, and
 * anything outside printable ASCII written as \uXXXX so it cannot break lines,
 * headers or terminals. Backslashes are left alone so escape sequences read naturally.
 */
function quote(text: string): string {
  const cut = text.length > PREVIEW_CHARS;
  let out = '"';
  const n = cut ? PREVIEW_CHARS : text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c >= 0x20 && c < 0x7f) out += text[i];
    else out += `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return `${out}"${cut ? '...' : ''}`;
}
