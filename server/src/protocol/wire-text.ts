/**
 * Text the parser reads from header and command lines without a decode or a
 * new string when it can: the hot commands and common header names as
 * constants, and UTF-8 decoding without Buffer#toString's overhead (issue 9).
 */

/**
 * Header names most frames carry, as constants: a name read from the wire
 * that matches one costs no decode and no new string, and as a constant it
 * is a ready-hashed key for the headers object (issue 9). Grouped by byte length.
 */
const KNOWN_HEADER_NAMES: (readonly [Buffer, string])[][] = [];
for (const name of [
  'destination',
  'content-type',
  'content-length',
  'persistent',
  'receipt',
  'transaction',
  'id',
  'ack',
  'message-id',
  'subscription',
  'priority',
  'expires',
  'reply-to',
  'correlation-id',
]) {
  const group = KNOWN_HEADER_NAMES[name.length] ?? [];
  KNOWN_HEADER_NAMES[name.length] = group;
  group.push([Buffer.from(name, 'latin1'), name]);
}

export function knownHeaderName(src: Buffer, start: number, end: number): string | null {
  const group = KNOWN_HEADER_NAMES[end - start];
  if (group === undefined) return null;
  for (let g = 0; g < group.length; g++) {
    const [bytes, name] = group[g]!;
    let i = 0;
    while (i < bytes.length && src[start + i] === bytes[i]) i++;
    if (i === bytes.length) return name;
  }
  return null;
}

type Utf8Slicer = { utf8Slice(start: number, end: number): string };

/** Node's undocumented fast path; a runtime without it takes the documented one. */
const hasUtf8Slice =
  typeof (Buffer.prototype as unknown as Partial<Utf8Slicer>).utf8Slice === 'function';

/**
 * `src.toString('utf8', start, end)` without its argument checks and
 * encoding lookup, which cost as much as the decode itself for short header
 * values (profiled, issue 9). Buffer.prototype.utf8Slice is what toString calls.
 */
export const decodeUtf8: (src: Buffer, start: number, end: number) => string = hasUtf8Slice
  ? (src, start, end) => (src as unknown as Utf8Slicer).utf8Slice(start, end)
  : (src, start, end) => src.toString('utf8', start, end);

/**
 * SEND and ACK (the frames of every queue message) as constants, so that
 * their command line costs no decode and no string (issue 9). Others are
 * decoded. The caller has checked the bytes are A-Z.
 */
export function hotCommand(src: Buffer, start: number, stop: number): string | null {
  switch (stop - start) {
    case 3:
      return src[start] === 0x41 && src[start + 1] === 0x43 && src[start + 2] === 0x4b
        ? 'ACK'
        : null;
    case 4:
      return src[start] === 0x53 &&
        src[start + 1] === 0x45 &&
        src[start + 2] === 0x4e &&
        src[start + 3] === 0x44
        ? 'SEND'
        : null;
    default:
      return null;
  }
}
