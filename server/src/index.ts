/**
 * Stompede's embeddable API:
 *
 * ```ts
 * import { createBroker } from 'stompede';
 * const broker = createBroker({ tcpPort: 61613, wsPort: 61614 });
 * const { tcp, ws } = await broker.listen();
 * // … later
 * await broker.close();
 * ```
 */
import type { BrokerConfig, DeepPartial } from './config.js';
import type { Logger } from './logger.js';
import { StompedeBroker } from './server.js';

export type {
  BrokerConfig,
  DeepPartial,
  HeartbeatConfig,
  LimitsConfig,
  QueueConfig,
} from './config.js';
export { ConfigError, DEFAULT_CONFIG, resolveConfig } from './config.js';
export type { ListenAddresses } from './server.js';
export { StompedeBroker } from './server.js';
export { VERSION } from './version.js';

/** Create a broker from a partial config (everything else takes its default). Nothing listens until `listen()`. */
export function createBroker(
  config: DeepPartial<BrokerConfig> = {},
  logger?: Logger,
): StompedeBroker {
  return new StompedeBroker(config, logger);
}
