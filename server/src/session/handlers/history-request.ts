import type { HistoryRequest } from '../../broker/history.js';
import type { FrameHeaders } from '../../protocol/frame.js';
import { SessionError } from '../errors.js';

/**
 * Topic history a SUBSCRIBE asks for before live delivery:
 *   `x-history-last:N`        the last N retained messages
 *   `x-history-since:T`       messages published at or after T (ms since the epoch)
 *   `x-history-after:ID`      messages after the one with message-id ID (resume without gap or duplicate)
 *   `x-stream-offset:first|last|next|timestamp=S` (RabbitMQ streams; S in seconds)
 * Null when it asks for none.
 */
export function parseHistoryRequest(headers: FrameHeaders): HistoryRequest | null {
  const last = headers['x-history-last'];
  if (last !== undefined) return { kind: 'last', count: wholeNumber('x-history-last', last) };
  const since = headers['x-history-since'];
  if (since !== undefined)
    return { kind: 'since', timestamp: wholeNumber('x-history-since', since) };
  const after = headers['x-history-after'];
  if (after !== undefined) return { kind: 'after', messageId: after };
  const offset = headers['x-stream-offset'];
  if (offset === undefined) return null;
  if (offset === 'first') return { kind: 'all' };
  if (offset === 'last') return { kind: 'last', count: 1 };
  if (offset === 'next') return null;
  if (offset.startsWith('timestamp=')) {
    return { kind: 'since', timestamp: wholeNumber('x-stream-offset', offset.slice(10)) * 1000 };
  }
  throw new SessionError(
    'invalid-header',
    `unsupported x-stream-offset: ${offset.slice(0, 40)}`,
    "x-stream-offset takes 'first', 'last', 'next' or 'timestamp=<seconds>'. Numeric stream offsets have no " +
      'meaning on a Stompede topic: resume with x-history-after:<message-id> instead.',
  );
}

function wholeNumber(header: string, value: string): number {
  if (!/^\d{1,16}$/.test(value)) {
    throw new SessionError(
      'invalid-header',
      `invalid ${header}: ${value.slice(0, 40)}`,
      `The ${header} header must be a whole non-negative number.`,
    );
  }
  return Number(value);
}
