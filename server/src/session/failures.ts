import { BrokerError } from '../broker/errors.js';
import { LIMIT_BREACHES } from '../counters.js';
import { ProtocolError } from '../protocol/errors.js';
import { StoreWriteError } from '../store/store.js';
import { SessionError } from './errors.js';
import type { Session } from './session.js';

// How a session classifies what went wrong, for its ERROR frame and the
// limit-breach counter.

/**
 * Refuse what the client did: one ERROR frame naming the problem (with
 * `receipt-id` when the frame asked for a receipt), then close session
 * connection only. Anything else thrown is a bug: logged, same ending.
 */
export function failSession(session: Session, err: unknown, receiptId?: string): void {
  if (session.state === 'closing' || session.state === 'closed') return;
  const limit = breachedLimit(err);
  if (limit !== undefined) session.context.counters.increment(LIMIT_BREACHES, { limit });
  let message: string;
  let detail: string;
  const extra = err instanceof SessionError ? err.headers : [];
  if (err instanceof StoreWriteError) {
    message = 'message not stored';
    detail = `The broker could not commit session to its store (${err.message}); it was not accepted. Retry later.`;
    session.context.logger.error({ session: session.id, err }, 'store write failed');
  } else if (isUserError(err)) {
    message = err.message;
    detail = err.detail;
  } else {
    message = 'internal error';
    detail =
      'The broker failed to process session frame. The failure has been logged; please report it.';
    session.context.logger.error(
      { session: session.id, err },
      'unexpected error while handling a frame',
    );
  }
  session.noteEnd(
    limit === undefined
      ? { reason: 'error', error: message }
      : { reason: 'limit-exceeded', error: message, limit },
  );
  session.sendError(message, detail, receiptId, extra);
}

/** ERROR for a connection sending faster than limits.maxInbound{Frames,Bytes}PerSecond. */
export function inboundRateExceeded(kind: 'frames' | 'bytes', perSecond: number): SessionError {
  const key =
    kind === 'frames' ? 'limits.maxInboundFramesPerSecond' : 'limits.maxInboundBytesPerSecond';
  return new SessionError(
    'limit-exceeded',
    'rate limit exceeded',
    `This connection sent more than ${perSecond} ${kind} per second (${key}). Send more slowly, ` +
      `or spread the load over several connections; an operator can raise ${key} in the broker config.`,
  );
}

/** Parser limits whose ERRORs come from the codec, by ProtocolError code. */
const PARSER_LIMITS = new Map([
  ['frame-too-large', 'limits.maxFrameSize'],
  ['too-many-headers', 'limits.maxHeaders'],
  ['header-line-too-long', 'limits.maxHeaderLineLength'],
]);

/**
 * The config key of the limit an error reports breaching, for the breach
 * counter: an explicit `limit` (BrokerError), a parser limit by its code, or
 * for 'limit-exceeded' the `limits.*` key its detail names. Undefined otherwise.
 */
export function breachedLimit(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { limit, code, detail } = err as { limit?: unknown; code?: unknown; detail?: unknown };
  if (typeof limit === 'string') return limit;
  if (typeof code !== 'string') return undefined;
  if (code === 'limit-exceeded')
    return typeof detail === 'string' ? /\blimits\.\w+/.exec(detail)?.[0] : undefined;
  return PARSER_LIMITS.get(code);
}

/**
 * Errors that describe what the client did wrong (codec, session, broker,
 * selector): each carries a stable `code` and a `detail` for the ERROR body.
 */
export function isUserError(err: unknown): err is Error & { code: string; detail: string } {
  if (err instanceof ProtocolError || err instanceof SessionError || err instanceof BrokerError) {
    return true;
  }
  return (
    err instanceof Error &&
    typeof (err as { code?: unknown }).code === 'string' &&
    typeof (err as { detail?: unknown }).detail === 'string'
  );
}
