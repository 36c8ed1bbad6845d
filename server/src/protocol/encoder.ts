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
 * A whole MESSAGE frame in one allocation: `head` (`MESSAGE\n` +
 * per-delivery lines, already escaped), the shared `headers` escaped for
 * `version`, content-length, the body and the NUL. The same bytes as
 * joinTextFrame(head, encodeMessageTail(...)) without building the tail: a
 * queue message is usually delivered once, so a tail would be one more
 * Buffer and body copy for nothing (issue 9). Writing the header bytes one by
 * one from JavaScript instead of building this text measured the same.
 */
export function encodeMessageFrame(
  head: string,
  headers: FrameHeaders,
  body: Uint8Array,
  version: StompVersion,
): Buffer {
  return textBodyNul(head + headerLinesText(headers, version), body);
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

/**
 * encodeMessageTail(encodeHeaderLines(headers, version), body) in one step:
 * one allocation and one text write instead of two of each (the tail is
 * built once per published message, so this is per-message cost: it counts
 * at fan-out 1 → 1).
 */
export function encodeMessageTailOf(
  headers: FrameHeaders,
  body: Uint8Array,
  version: StompVersion,
): Buffer {
  return textBodyNul(headerLinesText(headers, version), body);
}

/**
 * `lines` (header lines, already escaped), content-length when the body is
 * non-empty, the blank line, the body and the NUL, in one allocation and one
 * text write.
 */
function textBodyNul(lines: string, body: Uint8Array): Buffer {
  const bodyLength = body.length;
  const text = bodyLength !== 0 ? `${lines}${CONTENT_LENGTH}:${bodyLength}\n\n` : `${lines}\n`;
  const bodyStart = Buffer.byteLength(text);
  const out = Buffer.allocUnsafe(bodyStart + bodyLength + 1);
  out.write(text, 0);
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
