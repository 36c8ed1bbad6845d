import { BrokerError } from './errors.js';
import type { Queue } from './queue.js';

export type ExchangeType = 'direct' | 'fanout' | 'topic' | 'headers';
export const EXCHANGE_TYPES: readonly ExchangeType[] = ['direct', 'fanout', 'topic', 'headers'];

interface Binding {
  queue: Queue;
  key: string;
  /** Binding arguments as given (headers exchanges: `x-match` and the headers to match). */
  args: Record<string, string>;
  /** Compiled once per binding: does a routing key (and headers) reach this queue? */
  matches: (key: string, headers: Record<string, string>) => boolean;
}

/**
 * A RabbitMQ-style exchange (`/exchange/NAME/KEY`): routes each message to
 * the queues bound to it, by its type's rule. Bindings come from SUBSCRIBE.
 */
export class Exchange {
  readonly name: string;
  readonly type: ExchangeType;
  private bindings: Binding[] = [];

  constructor(name: string, type: ExchangeType) {
    this.name = name;
    this.type = type;
  }

  get bindingCount(): number {
    return this.bindings.length;
  }

  /**
   * Bind `queue` with `key` (a routing key, an AMQP topic pattern, or ignored
   * for fanout) and, for a headers exchange, `args` with `x-match`.
   */
  bind(queue: Queue, key: string, args: Record<string, string>): void {
    if (this.bindings.some((b) => b.queue === queue && b.key === key)) return;
    this.bindings = [
      ...this.bindings,
      { queue, key, args, matches: compileBinding(this.type, key, args) },
    ];
  }

  /** The bindings, for the admin API. */
  listBindings(): readonly { queue: Queue; key: string; args: Record<string, string> }[] {
    return this.bindings;
  }

  unbind(queue: Queue): void {
    this.bindings = this.bindings.filter((b) => b.queue !== queue);
  }

  /** The queues a message with this routing key and headers goes to, each once. */
  route(key: string, headers: Record<string, string>): Queue[] {
    const out: Queue[] = [];
    for (const binding of this.bindings) {
      if (binding.matches(key, headers) && !out.includes(binding.queue)) out.push(binding.queue);
    }
    return out;
  }
}

export function parseExchangeType(value: string): ExchangeType {
  if ((EXCHANGE_TYPES as readonly string[]).includes(value)) return value as ExchangeType;
  throw new BrokerError(
    'invalid-header',
    `unknown exchange type: ${value.slice(0, 40)}`,
    `Exchange types are ${EXCHANGE_TYPES.join(', ')} (RabbitMQ's); '${value.slice(0, 40)}' is none of them.`,
  );
}

function compileBinding(
  type: ExchangeType,
  key: string,
  args: Record<string, string>,
): (key: string, headers: Record<string, string>) => boolean {
  switch (type) {
    case 'fanout':
      return () => true;
    case 'direct':
      return (routingKey) => routingKey === key;
    case 'topic': {
      const pattern = key.split('.');
      return (routingKey) => amqpTopicMatch(pattern, routingKey.split('.'), 0, 0);
    }
    case 'headers': {
      const matchAll = (args['x-match'] ?? 'all') !== 'any';
      const wanted = Object.entries(args).filter(([name]) => name !== 'x-match');
      return (_routingKey, headers) =>
        matchAll
          ? wanted.every(([name, value]) => headers[name] === value)
          : wanted.some(([name, value]) => headers[name] === value);
    }
  }
}

/**
 * AMQP topic binding keys: words separated by `.`, `*` is exactly one word,
 * `#` is zero or more words.
 */
export function amqpTopicMatch(
  pattern: readonly string[],
  words: readonly string[],
  p: number,
  w: number,
): boolean {
  while (p < pattern.length) {
    const want = pattern[p]!;
    if (want === '#') {
      if (p === pattern.length - 1) return true;
      for (let k = w; k <= words.length; k++)
        if (amqpTopicMatch(pattern, words, p + 1, k)) return true;
      return false;
    }
    if (w >= words.length) return false;
    if (want !== '*' && want !== words[w]) return false;
    p++;
    w++;
  }
  return w === words.length;
}
