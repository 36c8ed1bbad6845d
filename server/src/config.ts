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
  /** What happens to a topic subscriber whose connection stops reading (its outbound buffer grows). */
  slowConsumers: SlowConsumersConfig;
  /**
   * TLS listeners: `stomp+ssl://` (raw STOMP over TLS) and `wss://` (HTTPS +
   * secure WebSocket). Off unless certFile and keyFile are both set. The
   * files are re-read on SIGHUP (`broker.reloadTls()`).
   */
  tls: TlsConfig;
  /** WebSocket `Origin` allow-list (every WebSocket listener and attach()). */
  origins: OriginsConfig;
  /**
   * Who may connect and what they may do (README, "Security"). With no users
   * file, no JWT and no rules (the default) every connection is anonymous and
   * may do everything, which suits the default loopback host.
   */
  auth: AuthConfig;
}

export interface TlsConfig {
  /** Server certificate, PEM (may be followed by its intermediate chain). `null` = TLS off. */
  certFile: string | null;
  /** Private key of certFile, PEM, unencrypted. `null` = TLS off. */
  keyFile: string | null;
  /** CA certificate(s), PEM, that client certificates must chain to. Needed for requestClientCert. */
  caFile: string | null;
  /**
   * Ask clients for a certificate (mutual TLS). A verified one shows on the
   * connection (its subject CN) for the auth layer to map to a user. With the
   * uws engine, `wss://` is then served by the ws engine: uWS cannot expose
   * client certificates.
   */
  requestClientCert: boolean;
  /** Refuse, during the TLS handshake, clients without a certificate signed by caFile. Needs requestClientCert. */
  rejectUnauthorized: boolean;
  /** `stomp+ssl://` port (ActiveMQ's 61612). `null` disables; 0 picks a free port. */
  tcpPort: number | null;
  /** `https://` + `wss://` port (demo pages and STOMP over secure WebSocket). `null` (default) disables. */
  wssPort: number | null;
}

export type AuthPermission = 'read' | 'write' | 'admin';

/**
 * One access rule, ActiveMQ `authorizationEntries` style: who may read
 * (SUBSCRIBE, browse), write (SEND) and admin (declare or change) the
 * destinations `match` selects (ActiveMQ wildcards; `>` alone is every
 * destination). Each list names groups; `@name` is a user; `*` is everyone.
 */
export interface AuthRule {
  match: string;
  read?: string[];
  write?: string[];
  admin?: string[];
}

export interface AuthConfig {
  /** JSON users file with scrypt-hashed passcodes and groups (`stompede user add`); null = none. */
  usersFile: string | null;
  /**
   * Let connections without login and passcode in (as the group `anonymous`).
   * null (default): exactly when no users file and no JWT are configured.
   */
  allowAnonymous: boolean | null;
  /** Access rules; every matching rule adds its grants. */
  rules: AuthRule[];
  /**
   * Permissions on destinations no rule matches, once logins or rules are
   * configured. [] (default) = deny.
   */
  defaultPermissions: AuthPermission[];
  /** JWT logins (the token is the CONNECT passcode). On when secret or jwksFile is set. */
  jwt: JwtConfig;
  /** Failed logins from one address get their ERROR later and later. */
  throttle: LoginThrottleConfig;
}

export interface JwtConfig {
  /** HS256 shared secret, at least 32 bytes (env STOMPEDE_JWT_SECRET); null = none. */
  secret: string | null;
  /** JWKS file with the public keys for RS256/ES256 tokens; null = none. */
  jwksFile: string | null;
  /** Accepted `alg` values; [] = HS256 with a secret, RS256 and ES256 with a JWKS file. */
  algorithms: string[];
  /** Accepted `aud` values (a token must name one); [] = not checked. */
  audience: string[];
  /** Accepted `iss` values; [] = not checked. */
  issuer: string[];
  /** Leeway for `exp` and `nbf`, ms. */
  clockToleranceMs: number;
  /** Refuse tokens without an `exp` claim. */
  requireExpiry: boolean;
  /** Claim naming the user. */
  usernameClaim: string;
  /** Claim listing the user's groups (a list, or names separated by spaces or commas). */
  groupsClaim: string;
  /**
   * Claim with permissions the token grants by itself, e.g.
   * `{ "read": ["/topic/chat.>"], "write": ["/topic/chat.>"] }`; '' = ignored.
   */
  permissionsClaim: string;
}

export interface LoginThrottleConfig {
  /** Delay of the ERROR for the second recent failure from an address, ms; doubles with each further one. */
  baseMs: number;
  /** Longest delay, ms. */
  maxMs: number;
  /** Recent failures count half as much after this long, ms. */
  halfLifeMs: number;
  /** Most addresses remembered at once. */
  maxAddresses: number;
}

export interface OriginsConfig {
  /**
   * Browser origins allowed to open a WebSocket besides the broker's own
   * (the request's Host with the listener's scheme): exact
   * ('https://app.example.com'), a leading wildcard ('https://*.example.com',
   * any subdomain), '*' (any origin), or 'null' (sandboxed frames, file://).
   * A refused upgrade gets HTTP 403.
   */
  allowed: string[];
  /**
   * Accept upgrades without an Origin header. Browsers always send one;
   * native clients (stomp.py, Java, Node) send none, and no web page can
   * drive them, so refusing them protects nobody. Set false to admit browsers only.
   */
  allowMissing: boolean;
}

export interface SlowConsumersConfig {
  /**
   * Once a connection's buffered outbound bytes exceed maxBufferedBytes, its
   * topic messages are `drop`ped (counted; its next MESSAGE carries
   * `x-dropped:<n>`), or the connection is closed with ERROR `slow consumer`
   * (`disconnect`). Queues never drop: they stop dispatching to a full
   * connection (limits.outboundHighWaterMark) and wait.
   */
  topicPolicy: 'drop' | 'disconnect';
  /**
   * Outbound bytes buffered for one connection above which topicPolicy
   * applies (checked once the buffer is above limits.outboundHighWaterMark,
   * so the effective threshold is the larger of the two). Also the most
   * bytes one subscription holds for `x-conflate-key` conflation.
   */
  maxBufferedBytes: number;
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
  /** Queues: most messages waiting (not counting those delivered and unacknowledged); 0 = unlimited. */
  maxDepth: number;
  /**
   * Queues at maxDepth: `refuse` a SEND (ERROR `queue … is full`, the
   * producer's connection closes), or `drop-oldest` waiting message to make
   * room (counted). Copies no producer can be refused for (virtual topics,
   * dead letters) are dropped and counted under `refuse`.
   */
  overflow: 'refuse' | 'drop-oldest';
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
  /** Most client connections at once; more are refused at accept with ERROR `too many connections`. */
  maxConnections: number;
  /** Most client connections at once from one IP address. */
  maxConnectionsPerIp: number;
  /**
   * Most frames one connection may send per second (a token bucket holding
   * one second's worth, refilled on the scheduler tick). Past it: ERROR
   * `rate limit exceeded`, and the connection closes.
   */
  maxInboundFramesPerSecond: number;
  /** Most bytes one connection may send per second, measured like maxInboundFramesPerSecond. */
  maxInboundBytesPerSecond: number;
  /**
   * Ceiling of any topic's history, in messages, whatever the destination
   * rules say (a rule asking for more is a config error); it also bounds
   * histories kept by age only (historyMaxAgeMs).
   */
  maxHistoryMessages: number;
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
    maxConnections: 100_000,
    maxConnectionsPerIp: 10_000,
    maxInboundFramesPerSecond: 200_000,
    maxInboundBytesPerSecond: 128 * 1024 * 1024,
    maxHistoryMessages: 100_000,
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
    maxDepth: 0,
    overflow: 'refuse',
  },
  destinations: [],
  virtualTopics: { topicPrefix: 'VirtualTopic.', consumerQueuePrefix: 'Consumer.*.' },
  exchanges: [],
  defaultExchangeType: 'topic',
  compat: 'stompede',
  resume: { windowMs: 30_000, maxBufferedMessages: 1000, maxBufferedBytes: 1024 * 1024 },
  slowConsumers: { topicPolicy: 'drop', maxBufferedBytes: 8 * 1024 * 1024 },
  tls: {
    certFile: null,
    keyFile: null,
    caFile: null,
    requestClientCert: false,
    rejectUnauthorized: false,
    tcpPort: 61612,
    wssPort: null,
  },
  origins: { allowed: [], allowMissing: true },
  auth: {
    usersFile: null,
    allowAnonymous: null,
    rules: [],
    defaultPermissions: [],
    jwt: {
      secret: null,
      jwksFile: null,
      algorithms: [],
      audience: [],
      issuer: [],
      clockToleranceMs: 30_000,
      requireExpiry: true,
      usernameClaim: 'sub',
      groupsClaim: 'groups',
      permissionsClaim: '',
    },
    throttle: { baseMs: 500, maxMs: 5000, halfLifeMs: 60_000, maxAddresses: 10_000 },
  },
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
  requireOneOf('slowConsumers.topicPolicy', config.slowConsumers.topicPolicy, [
    'drop',
    'disconnect',
  ]);
  requireInt('slowConsumers.maxBufferedBytes', config.slowConsumers.maxBufferedBytes, 1);
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
  validateHistoryCeiling(config);
  validateTls(config.tls);
  validateOrigins(config.origins);
  validateAuth(config.auth);
}

const AUTH_PERMISSIONS = ['read', 'write', 'admin'];
/** Mirrors auth/jwt.ts JWT_ALGORITHMS (config.ts imports nothing of ours). */
const JWT_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

function validateAuth(auth: AuthConfig): void {
  if (auth.usersFile !== null) requireString('auth.usersFile', auth.usersFile);
  if (auth.allowAnonymous !== null && typeof auth.allowAnonymous !== 'boolean')
    throw new ConfigError('auth.allowAnonymous must be true, false or null (automatic)');
  requireNames('auth.defaultPermissions', auth.defaultPermissions, AUTH_PERMISSIONS);
  if (!Array.isArray(auth.rules))
    throw new ConfigError('auth.rules must be a list of { match, read, write, admin }');
  auth.rules.forEach((rule, i) => {
    const at = `auth.rules[${i}]`;
    if (
      !isPlainObject(rule) ||
      typeof rule.match !== 'string' ||
      !(rule.match.startsWith('/') || rule.match === '>')
    ) {
      throw new ConfigError(`${at}.match must be a destination pattern such as "/queue/orders.>"`);
    }
    for (const key of Object.keys(rule)) {
      if (key === 'match') continue;
      if (!AUTH_PERMISSIONS.includes(key))
        throw new ConfigError(
          `unknown config key '${at}.${key}' (known: match, read, write, admin)`,
        );
      const names = rule[key as AuthPermission];
      if (
        !Array.isArray(names) ||
        names.some((n) => typeof n !== 'string' || n === '' || n === '@' || /[\s,]/.test(n))
      ) {
        throw new ConfigError(
          `${at}.${key} must be a list of group names, '@user' names or '*' (everyone)`,
        );
      }
    }
  });
  const jwt = auth.jwt;
  if (jwt.secret !== null) {
    requireString('auth.jwt.secret', jwt.secret);
    if (Buffer.byteLength(jwt.secret) < 32)
      throw new ConfigError(
        'auth.jwt.secret must be at least 32 bytes (e.g. openssl rand -base64 48)',
      );
  }
  if (jwt.jwksFile !== null) requireString('auth.jwt.jwksFile', jwt.jwksFile);
  requireNames('auth.jwt.algorithms', jwt.algorithms, JWT_ALGORITHMS);
  for (const alg of jwt.algorithms) {
    if (alg.startsWith('HS') ? jwt.secret === null : jwt.jwksFile === null) {
      throw new ConfigError(
        `auth.jwt.algorithms lists ${alg}, which needs ${alg.startsWith('HS') ? 'auth.jwt.secret' : 'auth.jwt.jwksFile'}`,
      );
    }
  }
  for (const key of ['audience', 'issuer'] as const) {
    const list = jwt[key];
    if (!Array.isArray(list) || list.some((v) => typeof v !== 'string' || v === ''))
      throw new ConfigError(`auth.jwt.${key} must be a list of accepted values ([] = not checked)`);
  }
  requireInt('auth.jwt.clockToleranceMs', jwt.clockToleranceMs, 0);
  if (typeof jwt.requireExpiry !== 'boolean')
    throw new ConfigError('auth.jwt.requireExpiry must be true or false');
  requireString('auth.jwt.usernameClaim', jwt.usernameClaim);
  requireString('auth.jwt.groupsClaim', jwt.groupsClaim);
  if (typeof jwt.permissionsClaim !== 'string')
    throw new ConfigError('auth.jwt.permissionsClaim must be a claim name, or "" for none');
  requireInt('auth.throttle.baseMs', auth.throttle.baseMs, 0);
  requireInt('auth.throttle.maxMs', auth.throttle.maxMs, 0);
  requireInt('auth.throttle.halfLifeMs', auth.throttle.halfLifeMs, 1);
  requireInt('auth.throttle.maxAddresses', auth.throttle.maxAddresses, 1);
  const logins = auth.usersFile !== null || jwt.secret !== null || jwt.jwksFile !== null;
  if (auth.allowAnonymous === false && !logins) {
    throw new ConfigError(
      'auth.allowAnonymous is false, but no auth.usersFile or auth.jwt is configured: nobody could connect',
    );
  }
}

function requireNames(key: string, value: unknown, allowed: string[]): void {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !allowed.includes(v)))
    throw new ConfigError(`${key} must be a list of: ${allowed.join(', ')}`);
}

function validateTls(tls: TlsConfig): void {
  for (const key of ['certFile', 'keyFile', 'caFile'] as const) {
    if (tls[key] !== null) requireString(`tls.${key}`, tls[key]);
  }
  if (typeof tls.requestClientCert !== 'boolean')
    throw new ConfigError('tls.requestClientCert must be true or false');
  if (typeof tls.rejectUnauthorized !== 'boolean')
    throw new ConfigError('tls.rejectUnauthorized must be true or false');
  requirePort('tls.tcpPort', tls.tcpPort);
  requirePort('tls.wssPort', tls.wssPort);
  if ((tls.certFile === null) !== (tls.keyFile === null)) {
    throw new ConfigError('tls.certFile and tls.keyFile go together: set both to turn TLS on');
  }
  const on = tls.certFile !== null;
  if (!on && tls.wssPort !== null) {
    throw new ConfigError('tls.wssPort needs tls.certFile and tls.keyFile');
  }
  if (tls.requestClientCert && tls.caFile === null) {
    throw new ConfigError(
      'tls.requestClientCert needs tls.caFile: the CA that client certificates must be signed by',
    );
  }
  if (tls.rejectUnauthorized && !tls.requestClientCert) {
    throw new ConfigError('tls.rejectUnauthorized needs tls.requestClientCert');
  }
}

/** Mirrors transport/origin.ts originPatternError (config.ts imports nothing of ours). */
const ORIGIN_PATTERN = /^[a-z][a-z0-9+.-]*:\/\/(\*\.)?[^/*?#\s]+\/?$/i;

function validateOrigins(origins: OriginsConfig): void {
  if (!Array.isArray(origins.allowed))
    throw new ConfigError(
      "origins.allowed must be a list of origins like 'https://app.example.com'",
    );
  origins.allowed.forEach((entry, i) => {
    if (
      typeof entry !== 'string' ||
      !(entry === '*' || entry === 'null' || ORIGIN_PATTERN.test(entry.trim()))
    ) {
      throw new ConfigError(
        `origins.allowed[${i}] must be an origin ('https://app.example.com'), a wildcard origin ('https://*.example.com'), '*' or 'null' (got ${JSON.stringify(entry)})`,
      );
    }
  });
  if (typeof origins.allowMissing !== 'boolean')
    throw new ConfigError('origins.allowMissing must be true or false');
}

/** No history rule may ask for more than limits.maxHistoryMessages: say so at start rather than keep less quietly. */
function validateHistoryCeiling(config: BrokerConfig): void {
  const ceiling = config.limits.maxHistoryMessages;
  const asks: [string, number | undefined][] = [
    ['destinationDefaults', config.destinationDefaults.historyMaxMessages],
    ...config.destinations.map((rule, i): [string, number | undefined] => [
      `destinations[${i}]`,
      rule.historyMaxMessages,
    ]),
  ];
  for (const [path, value] of asks) {
    if (value !== undefined && value > ceiling) {
      throw new ConfigError(
        `${path}.historyMaxMessages (${value}) exceeds limits.maxHistoryMessages (${ceiling}); lower it or raise the limit`,
      );
    }
  }
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
  'maxDepth',
  'overflow',
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
    } else if (key === 'overflow') {
      requireOneOf(`${path}.${key}`, value, ['refuse', 'drop-oldest']);
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
  const tls: NonNullable<DeepPartial<BrokerConfig>['tls']> = {};
  if (env.STOMPEDE_TLS_CERT_FILE) tls.certFile = env.STOMPEDE_TLS_CERT_FILE;
  if (env.STOMPEDE_TLS_KEY_FILE) tls.keyFile = env.STOMPEDE_TLS_KEY_FILE;
  if (env.STOMPEDE_TLS_CA_FILE) tls.caFile = env.STOMPEDE_TLS_CA_FILE;
  const tlsPort = port('STOMPEDE_TLS_PORT');
  if (tlsPort !== undefined) tls.tcpPort = tlsPort;
  const wssPort = port('STOMPEDE_WSS_PORT');
  if (wssPort !== undefined) tls.wssPort = wssPort;
  if (Object.keys(tls).length > 0) out.tls = tls;
  const auth: NonNullable<DeepPartial<BrokerConfig>['auth']> = {};
  if (env.STOMPEDE_USERS_FILE) auth.usersFile = env.STOMPEDE_USERS_FILE;
  if (env.STOMPEDE_JWT_SECRET) auth.jwt = { secret: env.STOMPEDE_JWT_SECRET };
  if (Object.keys(auth).length > 0) out.auth = auth;
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
