/**
 * The sliver of STOMP the baseline relays speak, so the generator can drive
 * them exactly like a broker: CONNECT/STOMP -> CONNECTED, SUBSCRIBE -> join +
 * RECEIPT (when asked), SEND -> forwarded as-is (opaque bytes), anything else
 * ignored. Only the rare control frames are decoded; SEND is recognised by its
 * first two bytes.
 */
export const CONNECTED_FRAME = Buffer.from(
  'CONNECTED\nversion:1.2\nheart-beat:0,0\nserver:bench-relay\n\n\0',
);

const C_ = 0x43;
const S_ = 0x53;
const E_ = 0x45;
const U_ = 0x55;
const D_ = 0x44;
const LF = 0x0a;
const CR = 0x0d;

/** Kind of the STOMP frame starting at bytes[start] (leading EOLs skipped). */
export function frameKind(bytes, start = 0) {
  let i = start;
  while (i < bytes.length && (bytes[i] === LF || bytes[i] === CR)) i++;
  if (i + 1 >= bytes.length) return 'other';
  const a = bytes[i];
  const b = bytes[i + 1];
  if (a === S_ && b === E_) return 'send';
  if (a === S_ && b === U_) return 'subscribe';
  if (a === C_ || (a === S_ && b === 0x54)) return 'connect'; // CONNECT or STOMP
  if (a === D_) return 'disconnect';
  return 'other';
}

/** RECEIPT frame for a control frame's `receipt` header, or null. */
export function receiptFor(bytes) {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const m = /\nreceipt:([^\n\r]*)/.exec(text.slice(0, text.indexOf('\n\n') + 1 || text.length));
  return m ? Buffer.from(`RECEIPT\nreceipt-id:${m[1]}\n\n\0`) : null;
}
