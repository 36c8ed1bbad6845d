import { escapeHeader, isConnectCommand } from './escape.js';
import type { FrameHeaders, StompVersion } from './frame.js';

const CONTENT_LENGTH = 'content-length';
const MESSAGE_LINE = 'MESSAGE\n';

/** One EOL: what a heart-beat sends. */
export const HEARTBEAT_EOL: Buffer = Buffer.from('\n');

/**
 * Encode one frame into a single Buffer. Headers are escaped for `version`
 * except on CONNECT/STOMP/CONNECTED (which follow the 1.0 rules). `content-length`
 * is owned by the encoder: any content-length in `headers` is ignored and, when
 * the body is non-empty, content-length is written (last) with the real byte length.
 */
export function encodeFrame(
  command: string,
  headers: FrameHeaders | ReadonlyArray<readonly [string, string]>,
  body: Uint8Array | string | undefined,
  version: StompVersion,
): Buffer {
  const rules: StompVersion = isConnectCommand(command) ? '1.0' : version;
  let head = `${command}\n`;
  if (Array.isArray(headers)) {
    for (const [name, value] of headers as ReadonlyArray<readonly [string, string]>) {
      if (name !== CONTENT_LENGTH) head += headerLine(name, value, rules);
    }
  } else {
    head += headerLinesText(headers as FrameHeaders, rules);
  }
  const bodyLength =
    body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (bodyLength !== 0) head += `${CONTENT_LENGTH}:${bodyLength}\n`;
  head += '\n';

  const headLength = Buffer.byteLength(head);
  const out = Buffer.allocUnsafe(headLength + bodyLength + 1);
  out.write(head, 0);
  if (bodyLength !== 0) {
    if (typeof body === 'string') out.write(body, headLength);
    else out.set(body!, headLength);
  }
  out[headLength + bodyLength] = 0;
  return out;
}

/**
 * The `name:value\n` lines for headers, escaped for version, skipping
 * content-length — used by the broker to pre-encode the shared part of a
 * MESSAGE once per publish.
 */
export function encodeHeaderLines(headers: FrameHeaders, version: StompVersion): Buffer {
  return Buffer.from(headerLinesText(headers, version));
}

/**
 * A whole MESSAGE frame written straight into one Buffer: `head`
 * (`MESSAGE\n` + per-delivery lines, already escaped), the shared `headers`
 * escaped for `version`, content-length, the body and the NUL. The same bytes
 * as encodeFrame('MESSAGE', …), without building the header text as strings
 * first: for a queue message, delivered once, that text (cons strings, a
 * flattened copy, a byte count) was most of the encoding and much of the
 * garbage (issue 9). ASCII is copied char by char and escaped on the way;
 * text with other characters goes through escapeHeader and Buffer#write.
 */
export function encodeMessageDirect(
  head: string,
  headers: FrameHeaders,
  body: Uint8Array,
  version: StompVersion,
): Buffer {
  const names = Object.keys(headers);
  const bodyLength = body.length;
  // Bytes per UTF-16 unit: at most 3 (UTF-8), and an escape is 2.
  let bound = 3 * head.length + 24;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    bound += 3 * (name.length + headers[name]!.length) + 2;
  }
  // The header block goes to a scratch buffer first and then, at its exact
  // size, into the frame: a frame allocated at the bound would take two or
  // three times its size from Buffer's shared pool.
  if (bound > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(bound, 2 * scratch.length));
  const block = scratch;
  let pos = writeText(block, 0, head, null);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (name === CONTENT_LENGTH) continue;
    pos = writeText(block, pos, name, version);
    block[pos++] = 0x3a; // ':'
    pos = writeText(block, pos, headers[name]!, version);
    block[pos++] = 0x0a;
  }
  if (bodyLength !== 0) pos += block.write(`${CONTENT_LENGTH}:${bodyLength}\n`, pos, 'latin1');
  block[pos++] = 0x0a;
  const out = Buffer.allocUnsafe(pos + bodyLength + 1);
  block.copy(out, 0, 0, pos);
  if (bodyLength !== 0) out.set(body, pos);
  out[pos + bodyLength] = 0;
  return out;
}

/** Where encodeMessageDirect writes a header block; grows to the largest block seen. */
let scratch: Buffer = Buffer.allocUnsafeSlow(4096);

/**
 * Write `text` at `pos`, escaped for `version` (null: as it is); returns the
 * end. Pure ASCII is written here; anything else by Buffer#write from the
 * start of `text` again (the buffer has room: see encodeMessageDirect's bound).
 */
function writeText(out: Buffer, pos: number, text: string, version: StompVersion | null): number {
  const start = pos;
  const len = text.length;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) {
      const escaped = version === null ? text : escapeHeader(text, version);
      return start + out.write(escaped, start, 'utf8');
    }
    if (version !== null && (c === 0x5c || c === 0x0a || c === 0x0d || c === 0x3a)) {
      if (version === '1.0') {
        // 1.0 has no escapes: only line breaks, which would end the line early, are replaced (see escapeHeader).
        out[pos++] = c === 0x0a || c === 0x0d ? 0x20 : c;
        continue;
      }
      if (c === 0x0d && version === '1.1') {
        out[pos++] = c;
        continue;
      }
      out[pos++] = 0x5c;
      out[pos++] = c === 0x5c ? 0x5c : c === 0x0a ? 0x6e : c === 0x0d ? 0x72 : 0x63;
      continue;
    }
    out[pos++] = c;
  }
  return pos;
}

/**
 * The part of a MESSAGE frame every delivery shares: the shared header lines
 * (already encoded), content-length when the body is non-empty, the blank
 * line, the body and the NUL. Built once per message and protocol version;
 * a delivery prepends its own head (see encodeMessageHead) with joinFrame.
 */
export function encodeMessageTail(sharedLines: Uint8Array, body: Uint8Array): Buffer {
  const bodyLength = body.length;
  const suffix = bodyLength !== 0 ? `${CONTENT_LENGTH}:${bodyLength}\n\n` : '\n';
  const bodyStart = sharedLines.length + suffix.length;
  const out = Buffer.allocUnsafe(bodyStart + bodyLength + 1);
  out.set(sharedLines, 0);
  out.write(suffix, sharedLines.length, 'latin1');
  if (bodyLength !== 0) out.set(body, bodyStart);
  out[bodyStart + bodyLength] = 0;
  return out;
}

/** `MESSAGE\n` and the per-delivery header lines (escaped text, each ending in \n), as bytes. */
export function encodeMessageHead(perDeliveryLines: string): Buffer {
  return Buffer.from(MESSAGE_LINE + perDeliveryLines);
}

/**
 * One MESSAGE frame from its per-delivery head and its shared tail: the same
 * bytes as `encodeFrame('MESSAGE', {...perDelivery, ...shared}, body, version)`,
 * with one allocation and two copies per delivery.
 */
export function joinFrame(head: Uint8Array, tail: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}

/** joinFrame with a head given as text (`MESSAGE\n` + per-delivery lines), for the less common deliveries. */
export function joinTextFrame(head: string, tail: Uint8Array): Buffer {
  const headLength = Buffer.byteLength(head);
  const out = Buffer.allocUnsafe(headLength + tail.length);
  out.write(head, 0);
  out.set(tail, headLength);
  return out;
}

function headerLinesText(headers: FrameHeaders, version: StompVersion): string {
  let text = '';
  // Object.keys: own properties only, even if a caller passes an ordinary object.
  for (const name of Object.keys(headers)) {
    if (name !== CONTENT_LENGTH) text += headerLine(name, headers[name]!, version);
  }
  return text;
}

function headerLine(name: string, value: string, version: StompVersion): string {
  return `${escapeHeader(name, version)}:${escapeHeader(value, version)}\n`;
}
