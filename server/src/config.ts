import { readFileSync } from 'node:fs';

/** Every setting of the broker, with its default. One place: docs and validation follow from it. */
export interface BrokerConfig {
  /** Interface the listeners bind to. Loopback by default: exposing a broker is a decision. */
  host: string;
  /** STOMP over plain TCP (ActiveMQ's port). `null` disables the listener; 0 picks a free port. */
  tcpPort: number | null;
  /** HTTP + WebSocket port (demo pages, STOMP over WebSocket). `null` disables; 0 picks a free port. */
  wsPort: number | null;
  /** WebSocket engine: uWebSockets.js (fast) or `ws`. uws falls back to ws when it cannot load. */
  wsTransport: 'uws' | 'ws';
  /** URL paths that accept STOMP WebSocket upgrades. */
  wsPaths: string[];
  /** Where persistent state lives (LMDB store). */
  dataDir: string;
  /** Message store: `lmdb` (embedded, durable; the default) or `memory` (nothing survives a restart). */
  store: 'memory' | 'lmdb';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Directory of static files served at `/` on the WebSocket port; `null` serves a built-in page. */
  demoDir: string | null;
  heartbeat: HeartbeatConfig;
  limits: LimitsConfig;
  queues: QueueConfig;
  /** Policy for every destination unless a rule in `destinations` says otherwise. */
  destinationDefaults: DestinationPolicy;
  /**
   * Rules by destination pattern (ActiveMQ wildcards: `.` separates, `*` one
   * segment, `>` the rest), e.g. `{ "match": "/topic/logs.>", "historyMaxMessages": 1000 }`.
   * Every matching rule applies, later rules over earlier ones.
   */
  destinations: DestinationRule[];
  /**
   * ActiveMQ virtual topics: a message published to `/topic/<topicPrefix>X`
   * also goes to every queue named `<consumerQueuePrefix>X`, where `*` in the
   * consumer prefix stands for one consumer-group segment
   * (`/queue/Consumer.A.VirtualTopic.Orders`). An empty topicPrefix turns it off.
   */
  virtualTopics: { topicPrefix: string; consumerQueuePrefix: string };
  /** RabbitMQ exchanges declared up front (`/exchange/NAME/KEY`); others are declared on first use. */
  exchanges: { name: string; type: string }[];
  /** Type of an exchange declared on first use without an `x-exchange-type` header. */
  defaultExchangeType: string;
  /**
   * Defaults that differ between the brokers clients come from: `stompede`
   * (NACK redelivers up to the limit, then DLQ), `activemq` (NACK sends to the
   * DLQ at once), `rabbitmq` (NACK requeues unless `requeue:false`; no default
   * prefetch). A client may choose per connection with CONNECT header `x-compat`.
   */
  compat: CompatMode;
  /**
   * Session resumption: a client whose connection dropped may reconnect with
   * CONNECT `x-resume:<token>` within windowMs and carry on (subscriptions,
   * unacked messages, missed messages). While it is away its messages are
   * held up to these bounds; past them, or past the window, it is released.
   */
  resume: { windowMs: number; maxBufferedMessages: number; maxBufferedBytes: number };
}

export type CompatMode = 'stompede' | 'activemq' | 'rabbitmq';
export const COMPAT_MODES: readonly CompatMode[] = ['stompede', 'activemq', 'rabbitmq'];

export interface DestinationPolicy {
  /** Deliveries after the first before a message goes to the dead-letter queue; -1 = never (ActiveMQ default 6). */
  maxRedeliveries: number;
  /** Wait before a NACKed or abandoned message is offered again, ms (0 = at once). */
  redeliveryDelayMs: number;
  /** Each further redelivery waits this many times longer (1 = constant delay). */
  redeliveryBackoffMultiplier: number;
  /** Ceiling of the redelivery delay, ms. */
  maxRedeliveryDelayMs: number;
  /** Queue that takes messages past maxRedeliveries; `{name}` is the queue's name. '' = drop them. */
  deadLetterQueue: string;
  /** Queue that takes expired messages; `{name}` is the queue's name. '' = drop them (counted). */
  expiredQueue: string;
  /** Topic history: keep the last N messages for replay (0 = none). */
  historyMaxMessages: number;
  /** Topic history: keep messages younger than this, ms (0 = no age limit). */
  historyMaxAgeMs: number;
}

export type DestinationRule = { match: string } & Partial<DestinationPolicy>;

export interface HeartbeatConfig {
  /** Smallest interval at which the broker offers to send heart-beats (ms); 0 = never. */
  sendMs: number;
  /** Interval at which the broker wants heart-beats from clients (ms); 0 = not needed. */
  receiveMs: number;
  /** A peer is silent too long after toleranceFactor × the agreed interval + graceMs. */
  toleranceFactor: number;
  /**
   * Extra allowance before a silent peer is closed. Generous by default because
   * browsers throttle timers in background tabs (Chrome: to once a minute), so a
   * strict timeout would drop healthy clients.
   */
  graceMs: number;
}

export interface LimitsConfig {
  /** Largest frame accepted (command + headers + body), bytes. */
  maxFrameSize: number;
  /** Most headers in one frame. */
  maxHeaders: number;
  /** Longest command or header line, bytes. */
  maxHeaderLineLength: number;
  /** Time from socket open to CONNECT before the connection is closed (ms). */
  connectTimeoutMs: number;
  /**
   * Outbound bytes buffered for one connection above which queues stop
   * dispatching to it until it drains.
   */
  outboundHighWaterMark: number;
  /** Hard ceiling of buffered outbound bytes per WebSocket before the connection is dropped. */
  outboundMaxBuffer: number;
  /** Most subscriptions one connection may hold. */
  maxSubscriptionsPerConnection: number;
  /** Most open transactions one connection may hold. */
  maxTransactionsPerConnection: number;
  /** Most frames buffered inside one transaction. */
  maxFramesPerTransaction: number;
}

export interface QueueConfig {
  /** Unacked messages in flight per subscription with client/client-individual acks, unless SUBSCRIBE sets a prefetch. */
  defaultPrefetch: number;
}

export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends (infer U)[]
    ? U[]
    : T[K] extends object | null
      ? DeepPartial<NonNullable<T[K]>> | Extract<T[K], null>
      : T[K];
};

export const DEFAULT_CONFIG: BrokerConfig = {
  host: '127.0.0.1',
  tcpPort: 61613,
  wsPort: 61614,
  wsTransport: 'uws',
  wsPaths: ['/stomp', '/ws'],
  dataDir: './data',
  store: 'lmdb',
  logLevel: 'info',
  demoDir: null,
  heartbeat: { sendMs: 10_000, receiveMs: 10_000, toleranceFactor: 2, graceMs: 60_000 },
  limits: {
    maxFrameSize: 4 * 1024 * 1024,
    maxHeaders: 128,
    maxHeaderLineLength: 8 * 1024,
    connectTimeoutMs: 10_000,
    outboundHighWaterMark: 1024 * 1024,
    outboundMaxBuffer: 256 * 1024 * 1024,
    maxSubscriptionsPerConnection: 1000,
    maxTransactionsPerConnection: 100,
    maxFramesPerTransaction: 10_000,
  },
  queues: { defaultPrefetch: 1000 },
  destinationDefaults: {
    maxRedeliveries: 6,
    redeliveryDelayMs: 0,
    redeliveryBackoffMultiplier: 1,
    maxRedeliveryDelayMs: 60_000,
    deadLetterQueue: 'DLQ.{name}',
    expiredQueue: '',
    historyMaxMessages: 0,
    historyMaxAgeMs: 0,
  },
  destinations: [],
  virtualTopics: { topicPrefix: 'VirtualTopic.', consumerQueuePrefix: 'Consumer.*.' },
  exchanges: [],
  defaultExchangeType: 'topic',
  compat: 'stompede',
  resume: { windowMs: 30_000, maxBufferedMessages: 1000, maxBufferedBytes: 1024 * 1024 },
};

export class ConfigError extends Error {
  readonly code = 'invalid-config';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Merge overrides onto the defaults and validate the result. Throws ConfigError naming the key. */
export function resolveConfig(overrides: DeepPartial<BrokerConfig> = {}): BrokerConfig {
  const defaults = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>;
  const merged = mergeInto(defaults, overrides, '') as BrokerConfig;
  validate(merged);
  return merged;
}

function mergeInto(target: Record<string, unknown>, source: unknown, path: string): unknown {
  if (source === undefined) return target;
  if (!isPlainObject(source)) throw new ConfigError(`${path || 'config'} must be an object`);
  for (const [key, value] of Object.entries(source)) {
    const keyPath = path ? `${path}.${key}` : key;
    if (!(key in target)) throw new ConfigError(`unknown config key '${keyPath}'`);
    if (value === undefined) continue;
    const current = target[key];
    if (isPlainObject(current)) {
      target[key] = mergeInto(current as Record<string, unknown>, value, keyPath);
    } else {
      target[key] = value;
    }
  }
  return target;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validate(config: BrokerConfig): void {
  requireString('host', config.host);
  requirePort('tcpPort', config.tcpPort);
  requirePort('wsPort', config.wsPort);
  requireOneOf('wsTransport', config.wsTransport, ['uws', 'ws']);
  if (
    !Array.isArray(config.wsPaths) ||
    config.wsPaths.some((p) => typeof p !== 'string' || !p.startsWith('/'))
  ) {
    throw new ConfigError(`wsPaths must be a list of paths starting with '/'`);
  }
  requireString('dataDir', config.dataDir);
  requireOneOf('store', config.store, ['memory', 'lmdb']);
  requireOneOf('logLevel', config.logLevel, [
    'fatal',
    'error',
    'warn',
    'info',
    'debug',
    'trace',
    'silent',
  ]);
  if (config.demoDir !== null) requireString('demoDir', config.demoDir);
  requireInt('heartbeat.sendMs', config.heartbeat.sendMs, 0);
  requireInt('heartbeat.receiveMs', config.heartbeat.receiveMs, 0);
  requireInt('heartbeat.graceMs', config.heartbeat.graceMs, 0);
  if (
    !(typeof config.heartbeat.toleranceFactor === 'number' && config.heartbeat.toleranceFactor >= 1)
  ) {
    throw new ConfigError('heartbeat.toleranceFactor must be a number >= 1');
  }
  for (const [key, value] of Object.entries(config.limits)) requireInt(`limits.${key}`, value, 1);
  requireInt('queues.defaultPrefetch', config.queues.defaultPrefetch, 1);
  validatePolicy('destinationDefaults', config.destinationDefaults, true);
  requireOneOf('compat', config.compat, [...COMPAT_MODES]);
  requireInt('resume.windowMs', config.resume.windowMs, 0);
  requireInt('resume.maxBufferedMessages', config.resume.maxBufferedMessages, 1);
  requireInt('resume.maxBufferedBytes', config.resume.maxBufferedBytes, 1);
  const exchangeTypes = ['direct', 'fanout', 'topic', 'headers'];
  requireOneOf('defaultExchangeType', config.defaultExchangeType, exchangeTypes);
  if (!Array.isArray(config.exchanges))
    throw new ConfigError('exchanges must be a list of { name, type }');
  config.exchanges.forEach((exchange, i) => {
    if (!isPlainObject(exchange) || typeof exchange.name !== 'string' || exchange.name === '') {
      throw new ConfigError(`exchanges[${i}].name must be a non-empty string`);
    }
    requireOneOf(`exchanges[${i}].type`, exchange.type, exchangeTypes);
  });
  if (typeof config.virtualTopics.topicPrefix !== 'string') {
    throw new ConfigError(
      'virtualTopics.topicPrefix must be a string ("" turns virtual topics off)',
    );
  }
  if (
    typeof config.virtualTopics.consumerQueuePrefix !== 'string' ||
    config.virtualTopics.consumerQueuePrefix === ''
  ) {
    throw new ConfigError(
      'virtualTopics.consumerQueuePrefix must be a queue name prefix such as "Consumer.*."',
    );
  }
  if (!Array.isArray(config.destinations))
    throw new ConfigError('destinations must be a list of rules');
  config.destinations.forEach((rule, i) => {
    if (!isPlainObject(rule) || typeof rule.match !== 'string' || !rule.match.startsWith('/')) {
      throw new ConfigError(
        `destinations[${i}].match must be a destination pattern such as "/queue/orders.>"`,
      );
    }
    validatePolicy(`destinations[${i}]`, rule, false);
  });
}

const POLICY_KEYS: (keyof DestinationPolicy)[] = [
  'maxRedeliveries',
  'redeliveryDelayMs',
  'redeliveryBackoffMultiplier',
  'maxRedeliveryDelayMs',
  'deadLetterQueue',
  'expiredQueue',
  'historyMaxMessages',
  'historyMaxAgeMs',
];

function validatePolicy(
  path: string,
  policy: Partial<DestinationPolicy> & { match?: string },
  complete: boolean,
): void {
  for (const key of Object.keys(policy)) {
    if (key !== 'match' && !POLICY_KEYS.includes(key as keyof DestinationPolicy)) {
      throw new ConfigError(
        `unknown config key '${path}.${key}' (known: ${POLICY_KEYS.join(', ')})`,
      );
    }
  }
  for (const key of POLICY_KEYS) {
    const value = policy[key];
    if (value === undefined) {
      if (complete) throw new ConfigError(`${path}.${key} is required`);
      continue;
    }
    if (key === 'deadLetterQueue' || key === 'expiredQueue') {
      if (typeof value !== 'string')
        throw new ConfigError(
          `${path}.${key} must be a queue name template like "DLQ.{name}", or ""`,
        );
    } else if (key === 'redeliveryBackoffMultiplier') {
      if (typeof value !== 'number' || value < 1)
        throw new ConfigError(`${path}.${key} must be a number >= 1`);
    } else {
      requireInt(`${path}.${key}`, value, key === 'maxRedeliveries' ? -1 : 0);
    }
  }
}

function requireString(key: string, value: unknown): void {
  if (typeof value !== 'string' || value === '')
    throw new ConfigError(`${key} must be a non-empty string`);
}

function requirePort(key: string, value: unknown): void {
  if (value === null) return;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) {
    throw new ConfigError(
      `${key} must be a port number 0-65535, or null to disable it (got ${String(value)})`,
    );
  }
}

function requireInt(key: string, value: unknown, min: number): void {
  if (!Number.isInteger(value) || (value as number) < min) {
    throw new ConfigError(`${key} must be an integer >= ${min} (got ${String(value)})`);
  }
}

function requireOneOf(key: string, value: unknown, allowed: string[]): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new ConfigError(`${key} must be one of ${allowed.join(', ')} (got ${String(value)})`);
  }
}

/** Read a JSON config file. Errors name the path and what to fix. */
export function readConfigFile(path: string): DeepPartial<BrokerConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isPlainObject(parsed)) throw new Error('the top level must be an object');
    return parsed as DeepPartial<BrokerConfig>;
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Settings from STOMPEDE_* environment variables (the flat keys, and STOMPEDE_CONFIG for the file). */
export function configFromEnv(env: NodeJS.ProcessEnv): DeepPartial<BrokerConfig> {
  const out: DeepPartial<BrokerConfig> = {};
  const port = (name: string): number | null | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    if (raw === 'off' || raw === 'none') return null;
    const n = Number(raw);
    if (!Number.isInteger(n))
      throw new ConfigError(`${name} must be a port number or 'off' (got ${raw})`);
    return n;
  };
  if (env.STOMPEDE_HOST) out.host = env.STOMPEDE_HOST;
  const tcp = port('STOMPEDE_TCP_PORT');
  if (tcp !== undefined) out.tcpPort = tcp;
  const ws = port('STOMPEDE_WS_PORT');
  if (ws !== undefined) out.wsPort = ws;
  if (env.STOMPEDE_WS_TRANSPORT)
    out.wsTransport = env.STOMPEDE_WS_TRANSPORT as BrokerConfig['wsTransport'];
  if (env.STOMPEDE_DATA_DIR) out.dataDir = env.STOMPEDE_DATA_DIR;
  if (env.STOMPEDE_STORE) out.store = env.STOMPEDE_STORE as BrokerConfig['store'];
  if (env.STOMPEDE_LOG_LEVEL) out.logLevel = env.STOMPEDE_LOG_LEVEL as BrokerConfig['logLevel'];
  if (env.STOMPEDE_DEMO_DIR) out.demoDir = env.STOMPEDE_DEMO_DIR;
  return out;
}

/** Layer several partial configs: later ones win. */
export function layerConfigs(...layers: DeepPartial<BrokerConfig>[]): DeepPartial<BrokerConfig> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) deepAssign(out, layer as Record<string, unknown>);
  return out as DeepPartial<BrokerConfig>;
}

function deepAssign(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (isPlainObject(value) && isPlainObject(target[key])) {
      deepAssign(target[key] as Record<string, unknown>, value);
    } else if (isPlainObject(value)) {
      const copy: Record<string, unknown> = {};
      deepAssign(copy, value);
      target[key] = copy;
    } else {
      target[key] = value;
    }
  }
}
