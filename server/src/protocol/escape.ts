import type { StompVersion } from './frame.js';

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const BACKSLASH = 0x5c;

/**
 * CONNECT, its 1.2 alias STOMP, and CONNECTED: their headers are never escaped,
 * whatever the version, so that STOMP 1.0 peers can read them.
 */
export function isConnectCommand(command: string): boolean {
  return command === 'CONNECT' || command === 'STOMP' || command === 'CONNECTED';
}

/**
 * Escape a header name or value for the wire (STOMP 1.2 "Value Encoding").
 *
 * - '1.1': `\` → `\\`, LF → `\n`, `:` → `\c`.
 * - '1.2': the same, plus CR → `\r`.
 * - '1.0': the protocol has no escapes, so nothing is escaped; but LF and CR,
 *   which would end the header line early and let a header value inject
 *   headers or frames, are replaced by a space.
 *
 * Returns `text` itself when nothing needs changing.
 */
export function escapeHeader(text: string, version: StompVersion): string {
  const len = text.length;
  let i = 0;
  if (version === '1.0') {
    for (; i < len; i++) {
      const c = text.charCodeAt(i);
      if (c === LF || c === CR) break;
    }
    return i === len ? text : text.replace(/[\r\n]/g, ' ');
  }
  const escapeCr = version === '1.2';
  for (; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH || c === LF || c === COLON || (c === CR && escapeCr)) break;
  }
  if (i === len) return text;
  let out = '';
  let last = 0;
  for (; i < len; i++) {
    let replacement: string;
    switch (text.charCodeAt(i)) {
      case BACKSLASH:
        replacement = '\\\\';
        break;
      case LF:
        replacement = '\\n';
        break;
      case COLON:
        replacement = '\\c';
        break;
      case CR:
        if (!escapeCr) continue;
        replacement = '\\r';
        break;
      default:
        continue;
    }
    out += text.slice(last, i) + replacement;
    last = i + 1;
  }
  return out + text.slice(last);
}

/**
 * Undo {@link escapeHeader} for a header name or value read from the wire.
 *
 * - '1.0': returned unchanged.
 * - '1.1': `\n`, `\c`, `\\` decoded; any other backslash sequence (including
 *   `\r` and a trailing lone backslash) is kept verbatim, because old clients
 *   never escape.
 * - '1.2': also `\r`; any other sequence is a fatal error in STOMP 1.2, so the
 *   function returns `undefined` and the caller reports it.
 */
export function unescapeHeader(text: string, version: StompVersion): string | undefined {
  if (version === '1.0') return text;
  let i = text.indexOf('\\');
  if (i === -1) return text;
  const strict = version === '1.2';
  let out = '';
  let last = 0;
  while (i !== -1) {
    let replacement: string | undefined;
    switch (text.charCodeAt(i + 1)) {
      case 0x6e: // n
        replacement = '\n';
        break;
      case 0x63: // c
        replacement = ':';
        break;
      case BACKSLASH:
        replacement = '\\';
        break;
      case 0x72: // r
        if (strict) replacement = '\r';
        break;
    }
    if (replacement === undefined) {
      if (strict) return undefined;
      // Undefined sequence in 1.1: keep the backslash and what follows it.
      i = text.indexOf('\\', i + 1);
      continue;
    }
    out += text.slice(last, i) + replacement;
    last = i + 2;
    i = text.indexOf('\\', last);
  }
  return out + text.slice(last);
}

/** The first escape sequence in `text` that {@link unescapeHeader} rejects for '1.2', e.g. `\t`; '' if none. */
export function findInvalidEscape(text: string): string {
  let i = text.indexOf('\\');
  while (i !== -1) {
    const code = text.codePointAt(i + 1);
    if (code === undefined) return '\\';
    if (code !== 0x6e && code !== 0x63 && code !== BACKSLASH && code !== 0x72) {
      return `\\${String.fromCodePoint(code)}`;
    }
    i = text.indexOf('\\', i + 2);
  }
  return '';
}
