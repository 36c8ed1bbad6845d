import type { FrameHeaders } from '../protocol/frame.js';
import { BrokerError } from './errors.js';
import { DEFAULT_PRIORITY, type MessageOptions } from './message.js';

/**
 * Read the ActiveMQ delivery headers of a SEND: `persistent`, `priority`
 * (0–9, default 4) and `expires` (ms since the epoch, 0 = never). A value
 * that is not a number is refused rather than guessed at.
 */
export function messageOptions(headers: FrameHeaders, now: number): MessageOptions {
  const persistent = headers.persistent === 'true';
  let priority = DEFAULT_PRIORITY;
  const rawPriority = headers.priority;
  if (rawPriority !== undefined) {
    priority = Number(rawPriority);
    if (!/^\d$/.test(rawPriority)) {
      throw new BrokerError(
        'invalid-header',
        `invalid priority: ${rawPriority.slice(0, 40)}`,
        `The priority header must be a whole number from 0 (lowest) to 9 (highest); the default is ${DEFAULT_PRIORITY}.`,
      );
    }
  }
  let expires = 0;
  const rawExpires = headers.expires;
  if (rawExpires !== undefined) {
    expires = Number(rawExpires);
    if (!/^\d{1,16}$/.test(rawExpires)) {
      throw new BrokerError(
        'invalid-header',
        `invalid expires: ${rawExpires.slice(0, 40)}`,
        'The expires header must be the expiry time in milliseconds since the Unix epoch (e.g. Date.now() + 60000), or 0 for never.',
      );
    }
  }
  return { persistent, priority, expires, timestamp: now };
}
