import type {
  AccessRule,
  AuthOptions,
  JwtOptions,
  Permission,
  ThrottleOptions,
} from './auth/types.js';
import { ConfigError, isPlainObject, unknownKeyError, validate } from './config-validate.js';

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
  /** Least severe log level written (pino levels); `silent` writes nothing. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Directory of static files served at `/` on the WebSocket port; `null` serves a built-in page. */
  demoDir: string | null;
  /** Heart-beats both ways (STOMP 1.1+): what the broker offers and expects, and how patient it is. */
  heartbeat: HeartbeatConfig;
  /** Limits on what one client may send or hold; each breach is an ERROR and a `stompede_limit_breaches_total` count. */
  limits: LimitsConfig;
  /** Queue defaults. */
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
  virtualTopics: {
    /** Topic names starting with this are virtual topics, e.g. `VirtualTopic.`; '' turns them off. */
    topicPrefix: string;
    /** Queue name prefix of their consumer queues; `*` stands for the consumer group, e.g. `Consumer.*.`. */
    consumerQueuePrefix: string;
  };
  /** RabbitMQ exchanges declared up front (`/exchange/NAME/KEY`); others are declared on first use. */
  exchanges: {
    /** Exchange name, as in `/exchange/NAME/KEY`. */
    name: string;
    /** `direct`, `fanout`, `topic` or `headers`. */
    type: string;
  }[];
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
  resume: {
    /** How long a dropped session waits for its client, ms; 0 turns resumption off. */
    windowMs: number;
    /** Most messages held for a dropped session; past it the session is released. */
    maxBufferedMessages: number;
    /** Most message bytes held for a dropped session; past it the session is released. */
    maxBufferedBytes: number;
  };
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
   * The admin frame tracer (POST /admin/api/connections/:id/trace): each
   * trace keeps at most maxFrames frames, stops by itself after
   * maxDurationMs, and copies bodyPreviewBytes of each body; at most
   * maxTraces are kept (running or stopped).
   */
  frameTrace: FrameTraceConfig;
  /**
   * Who may connect and what they may do (README, "Security"). With no users
   * file, no JWT and no rules (the default) every connection is anonymous and
   * may do everything, which suits the default loopback host.
   */
  auth: AuthConfig;
  /** The HTTP admin API under `/admin/api/` on wsPort (docs/admin-api.md). */
  admin: AdminConfig;
  /** Prometheus metrics on wsPort. */
  metrics: MetricsConfig;
  /** Several nodes sharing destinations through Redis (README, "Cluster"). Off while `url` is null. */
  cluster: ClusterConfig;
}

export interface AdminConfig {
  /** Serve the admin API. Who may use it follows `auth` (docs/admin-api.md, "Access"). */
  enabled: boolean;
  /** Largest HTTP request body the HTTP port reads (admin API POSTs); bigger ones get 413. */
  maxBodyBytes: number;
  /** Members of this group may use the read-only (GET) endpoints without admin permission. */
  monitorGroup: string;
}

export interface MetricsConfig {
  /** Serve Prometheus text exposition at `path`. */
  enabled: boolean;
  /** URL path of the metrics, on wsPort. */
  path: string;
  /**
   * Per-destination series are kept for this many destinations (the deepest
   * and busiest); the rest are summed under destination="other", so the
   * label cardinality stays bounded however many destinations exist.
   */
  topDestinations: number;
}

/** The admin frame tracer: bounded so that watching a connection cannot slow the broker. */
export interface FrameTraceConfig {
  /** Frames one trace keeps (a ring: the oldest go first, counted as dropped). */
  maxFrames: number;
  /** A trace stops by itself this long after it started, ms. */
  maxDurationMs: number;
  /** Body bytes kept per traced frame (the preview); the size is always recorded. */
  bodyPreviewBytes: number;
  /** Traces kept at once across the broker (running or stopped; stopped ones make room first); one more is refused with 409. */
  maxTraces: number;
}

export interface ClusterConfig {
  /**
   * `redis://[user:password@]HOST:PORT[/DB]` (or `rediss://` for TLS) of the
   * Redis every node of the cluster shares; null = a single node, no Redis.
   */
  url: string | null;
  /**
   * This node's name in the cluster, unique among live nodes (a second node
   * with the same id refuses to start). null = `<hostname>:<tcpPort>` when
   * tcpPort is fixed, else `<hostname>-<random>`.
   */
  nodeId: string | null;
  /** Prefix of every Redis key and channel, so several clusters can share one Redis. */
  keyPrefix: string;
  /** How often a node refreshes its registration (and checks for dead nodes' messages), ms. */
  heartbeatMs: number;
  /** A node that has not refreshed its registration for this long is dead, ms. Must exceed heartbeatMs. */
  nodeTtlMs: number;
  /** A dead node's unacked queue message is claimed by a live node once it has been idle this long, ms. */
  claimIdleMs: number;
  /** Most queue messages one node reads from Redis (or claims) in one go. */
  readBatch: number;
  /** How often a node with queue consumers polls Redis besides being notified (a missed notification costs this much), ms. */
  pollMs: number;
  /** Start-up: give up connecting to Redis after this long, ms. */
  connectTimeoutMs: number;
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

/**
 * The `auth` group is the auth layer's own option shape (auth/ imports
 * nothing of ours, so the config takes its types from there rather than
 * keeping a second copy): users file, anonymous access, access rules,
 * default permissions, JWT and login throttling. See auth/types.ts.
 */
export type AuthConfig = AuthOptions;
export type AuthRule = AccessRule;
export type AuthPermission = Permission;
export type JwtConfig = JwtOptions;
export type LoginThrottleConfig = ThrottleOptions;

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

export type DestinationRule = {
  /** Destination pattern the rule applies to, e.g. `/topic/logs.>` (ActiveMQ wildcards). */
  match: string;
} & Partial<DestinationPolicy>;

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
  frameTrace: { maxFrames: 500, maxDurationMs: 5 * 60_000, bodyPreviewBytes: 256, maxTraces: 16 },
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
    clientCertificates: { enabled: false, userFrom: 'cn', dnUsers: {} },
  },
  admin: { enabled: true, maxBodyBytes: 1024 * 1024, monitorGroup: 'monitor' },
  metrics: { enabled: true, path: '/metrics', topDestinations: 50 },
  cluster: {
    url: null,
    nodeId: null,
    keyPrefix: 'stompede:',
    heartbeatMs: 1000,
    nodeTtlMs: 5000,
    claimIdleMs: 10_000,
    readBatch: 100,
    pollMs: 1000,
    connectTimeoutMs: 5000,
  },
};

export { configFromEnv, layerConfigs, readConfigFile } from './config-sources.js';
export { ConfigError } from './config-validate.js';

/** Merge overrides onto the defaults and validate the result. Throws ConfigError naming the key. */
export function resolveConfig(overrides: DeepPartial<BrokerConfig> = {}): BrokerConfig {
  const defaults = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>;
  const merged = mergeInto(defaults, overrides, '') as BrokerConfig;
  validate(merged);
  return merged;
}

/** Keys whose value is a map with names of the user's choosing: taken whole, not merged key by key. */
export const MAP_KEYS: ReadonlySet<string> = new Set(['auth.clientCertificates.dnUsers']);

function mergeInto(target: Record<string, unknown>, source: unknown, path: string): unknown {
  if (source === undefined) return target;
  if (!isPlainObject(source)) throw new ConfigError(`${path || 'config'} must be an object`);
  for (const [key, value] of Object.entries(source)) {
    const keyPath = path ? `${path}.${key}` : key;
    if (!(key in target)) throw unknownKeyError(keyPath, Object.keys(target));
    if (value === undefined) continue;
    const current = target[key];
    if (isPlainObject(current) && !MAP_KEYS.has(keyPath)) {
      target[key] = mergeInto(current as Record<string, unknown>, value, keyPath);
    } else {
      target[key] = value;
    }
  }
  return target;
}
