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
 * Build a MESSAGE frame from per-delivery header lines (already escaped text,
 * each ending in \n), a pre-encoded shared header block, and the body; writes
 * content-length when body is non-empty. One allocation. Gives the same bytes as
 * `encodeFrame('MESSAGE', {...perDelivery, ...shared}, body, version)`.
 */
export function encodeMessage(
  perDeliveryLines: string,
  sharedLines: Buffer,
  body: Uint8Array,
): Buffer {
  const bodyLength = body.length;
  const prefix = MESSAGE_LINE + perDeliveryLines;
  const suffix = bodyLength !== 0 ? `${CONTENT_LENGTH}:${bodyLength}\n\n` : '\n';
  const prefixLength = Buffer.byteLength(prefix);
  const bodyStart = prefixLength + sharedLines.length + suffix.length;
  const out = Buffer.allocUnsafe(bodyStart + bodyLength + 1);
  out.write(prefix, 0);
  out.set(sharedLines, prefixLength);
  out.write(suffix, prefixLength + sharedLines.length, 'latin1');
  if (bodyLength !== 0) out.set(body, bodyStart);
  out[bodyStart + bodyLength] = 0;
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
