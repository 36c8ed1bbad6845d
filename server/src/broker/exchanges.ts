import { BrokerError } from './errors.js';
import { Exchange, type ExchangeType, parseExchangeType } from './exchange.js';
import type { Queue } from './queue.js';

/** RabbitMQ's built-in exchanges (amq.topic is Stompede's /topic/, so it is not here). */
const BUILT_IN: readonly (readonly [string, ExchangeType])[] = [
  ['amq.direct', 'direct'],
  ['amq.fanout', 'fanout'],
  ['amq.headers', 'headers'],
  ['amq.match', 'headers'],
];

/**
 * The exchanges of `/exchange/NAME/KEY` destinations: declared in the config,
 * built in, or declared on first use (type from `x-exchange-type`, else the
 * configured default, `topic`, which also serves direct and empty-key fanout flows).
 */
export class ExchangeRegistry {
  private readonly exchanges = new Map<string, Exchange>();
  private readonly defaultType: ExchangeType;
  /** Which exchanges each queue is bound to, so a deleted queue is unbound everywhere. */
  private readonly boundTo = new Map<Queue, Set<Exchange>>();

  constructor(declared: readonly { name: string; type: string }[], defaultType: string) {
    this.defaultType = parseExchangeType(defaultType);
    for (const [name, type] of BUILT_IN) this.exchanges.set(name, new Exchange(name, type));
    for (const { name, type } of declared)
      this.exchanges.set(name, new Exchange(name, parseExchangeType(type)));
  }

  /** The exchange `name`, declared now if new; `requestedType` (from `x-exchange-type`) must agree with an existing one. */
  declare(name: string, requestedType: string | undefined): Exchange {
    const type = requestedType === undefined ? undefined : parseExchangeType(requestedType);
    let exchange = this.exchanges.get(name);
    if (exchange === undefined) {
      exchange = new Exchange(name, type ?? this.defaultType);
      this.exchanges.set(name, exchange);
    } else if (type !== undefined && type !== exchange.type) {
      throw new BrokerError(
        'invalid-header',
        `exchange ${name.slice(0, 80)} is a ${exchange.type} exchange, not ${type}`,
        `The exchange '${name.slice(0, 80)}' was already declared with type ${exchange.type}; ` +
          `x-exchange-type:${type} does not match. Drop the header, or use another exchange name.`,
      );
    }
    return exchange;
  }

  bind(exchange: Exchange, queue: Queue, key: string, args: Record<string, string>): void {
    exchange.bind(queue, key, args);
    let set = this.boundTo.get(queue);
    if (set === undefined) {
      set = new Set();
      this.boundTo.set(queue, set);
    }
    set.add(exchange);
  }

  /** Remove every binding of `queue` (it is being deleted). */
  unbindAll(queue: Queue): void {
    const set = this.boundTo.get(queue);
    if (set === undefined) return;
    for (const exchange of set) exchange.unbind(queue);
    this.boundTo.delete(queue);
  }

  /** Whether some exchange routes to `queue` (then it must not be forgotten when idle). */
  isBound(queue: Queue): boolean {
    return this.boundTo.has(queue);
  }

  get size(): number {
    return this.exchanges.size;
  }

  /** Every exchange, built-in, configured and declared on first use. */
  all(): Exchange[] {
    return [...this.exchanges.values()];
  }
}
