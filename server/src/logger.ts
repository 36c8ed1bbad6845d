import { pino } from 'pino';
import type { BrokerConfig } from './config.js';

export type Logger = pino.Logger;

/** Structured JSON logs on stdout (pino): one line per event, fields instead of prose. */
export function createLogger(level: BrokerConfig['logLevel']): Logger {
  return pino({ level, base: { name: 'stompede' } });
}
