import type { FrameHeaders } from '../protocol/frame.js';
import { BrokerError } from './errors.js';
import type { QueueArguments } from './queue.js';

/**
 * RabbitMQ queue arguments given as SUBSCRIBE headers (`x-message-ttl`,
 * `x-max-length`, `x-dead-letter-exchange`, `x-dead-letter-routing-key`),
 * or null when there are none. Values that are not what RabbitMQ takes are refused.
 */
export function queueArguments(headers: FrameHeaders): QueueArguments | null {
  const ttl = headers['x-message-ttl'];
  const maxLength = headers['x-max-length'];
  const dlx = headers['x-dead-letter-exchange'];
  const dlxKey = headers['x-dead-letter-routing-key'];
  if (ttl === undefined && maxLength === undefined && dlx === undefined && dlxKey === undefined)
    return null;
  return {
    messageTtlMs: ttl === undefined ? 0 : wholeNumber('x-message-ttl', ttl, 'milliseconds'),
    maxLength: maxLength === undefined ? 0 : wholeNumber('x-max-length', maxLength, 'messages'),
    deadLetterExchange: dlx ?? '',
    deadLetterRoutingKey: dlxKey ?? '',
  };
}

/** Binding arguments for a headers exchange: `x-match` plus every `x-bind-<name>` header as `<name>`. */
export function bindingArguments(headers: FrameHeaders): Record<string, string> {
  const args: Record<string, string> = Object.create(null);
  const match = headers['x-match'];
  if (match !== undefined) {
    if (match !== 'all' && match !== 'any') {
      throw new BrokerError(
        'invalid-header',
        `invalid x-match: ${match.slice(0, 40)}`,
        "x-match must be 'all' or 'any'.",
      );
    }
    args['x-match'] = match;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-bind-') && name.length > 7) args[name.slice(7)] = value;
  }
  return args;
}

function wholeNumber(header: string, value: string, unit: string): number {
  if (!/^\d{1,15}$/.test(value)) {
    throw new BrokerError(
      'invalid-header',
      `invalid ${header}: ${value.slice(0, 40)}`,
      `The ${header} header must be a whole number of ${unit} (RabbitMQ queue argument); '${value.slice(0, 40)}' is not.`,
    );
  }
  return Number(value);
}
