/**
 * Validation of a resolved BrokerConfig: every key checked, each error
 * naming the key and what it takes. Split from config.ts, which keeps the
 * schema and defaults.
 */
import { isDistinguishedName } from './auth/certificates.js';
import { JWT_ALGORITHMS } from './auth/types.js';
import { isValidUserName } from './auth/users.js';
import { parseRedisUrl } from './cluster/redis-url.js';
import type {
  AuthConfig,
  AuthPermission,
  BrokerConfig,
  ClusterConfig,
  DestinationPolicy,
  OriginsConfig,
  TlsConfig,
} from './config.js';
import { COMPAT_MODES } from './config.js';

export class ConfigError extends Error {
  readonly code = 'invalid-config';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * `unknown config key 'limits.maxFrameSise' (did you mean 'maxFrameSize'?)`:
 * the suggestion is the known key nearest in spelling, when it is near enough
 * to be a typo (edit distance at most a third of its length, and 3).
 */
export function unknownKeyError(keyPath: string, known: readonly string[]): ConfigError {
  const dot = keyPath.lastIndexOf('.');
  const near = nearestKey(keyPath.slice(dot + 1), known);
  const hint =
    near === null
      ? `known keys here: ${known.join(', ')}`
      : `did you mean '${keyPath.slice(0, dot + 1)}${near}'?`;
  return new ConfigError(`unknown config key '${keyPath}' (${hint})`);
}

function nearestKey(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.min(3, Math.max(1, Math.floor(key.length / 3)));
  for (const candidate of known) {
    if (candidate.toLowerCase() === key.toLowerCase()) return candidate;
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance <= bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance (config keys are short; two rows suffice). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function validate(config: BrokerConfig): void {
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
  for (const [key, value] of Object.entries(config.frameTrace)) {
    requireInt(`frameTrace.${key}`, value, 1);
  }
  validateTls(config.tls);
  validateOrigins(config.origins);
  validateAuth(config.auth);
  validateCluster(config.cluster);
  if (config.auth.clientCertificates.enabled && !config.tls.requestClientCert)
    throw new ConfigError(
      'auth.clientCertificates.enabled needs tls.requestClientCert (and tls.caFile): without it no client presents a certificate',
    );
  validateAdmin(config);
}

function validateAdmin(config: BrokerConfig): void {
  requireBoolean('admin.enabled', config.admin.enabled);
  requireInt('admin.maxBodyBytes', config.admin.maxBodyBytes, 1);
  requireString('admin.monitorGroup', config.admin.monitorGroup);
  requireBoolean('metrics.enabled', config.metrics.enabled);
  const path = config.metrics.path;
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('/admin/api/')) {
    throw new ConfigError(
      'metrics.path must be a URL path starting with \'/\' (and outside /admin/api/), e.g. "/metrics"',
    );
  }
  if (config.wsPaths.includes(path)) {
    throw new ConfigError(
      `metrics.path ${path} is also in wsPaths; give the metrics their own path`,
    );
  }
  requireInt('metrics.topDestinations', config.metrics.topDestinations, 1);
}

function requireBoolean(key: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new ConfigError(`${key} must be true or false`);
}

function validateCluster(cluster: ClusterConfig): void {
  if (cluster.url !== null) {
    requireString('cluster.url', cluster.url);
    // Throws a ConfigError-worthy message naming what is wrong with the URL (password masked).
    try {
      parseRedisUrl(cluster.url);
    } catch (err) {
      throw new ConfigError(`cluster.url: ${(err as Error).message}`);
    }
  }
  if (cluster.nodeId !== null) {
    requireString('cluster.nodeId', cluster.nodeId);
    if (!/^[\w.:@-]{1,100}$/.test(cluster.nodeId)) {
      throw new ConfigError(
        `cluster.nodeId must be 1-100 letters, digits or . _ - : @ (got ${cluster.nodeId.slice(0, 120)})`,
      );
    }
  }
  if (typeof cluster.keyPrefix !== 'string')
    throw new ConfigError('cluster.keyPrefix must be a string');
  requireInt('cluster.heartbeatMs', cluster.heartbeatMs, 50);
  requireInt('cluster.nodeTtlMs', cluster.nodeTtlMs, 100);
  if (cluster.nodeTtlMs <= cluster.heartbeatMs) {
    throw new ConfigError(
      `cluster.nodeTtlMs (${cluster.nodeTtlMs}) must be greater than cluster.heartbeatMs (${cluster.heartbeatMs}), ` +
        'or a live node would look dead between two heartbeats',
    );
  }
  requireInt('cluster.claimIdleMs', cluster.claimIdleMs, 0);
  requireInt('cluster.readBatch', cluster.readBatch, 1);
  requireInt('cluster.pollMs', cluster.pollMs, 10);
  requireInt('cluster.connectTimeoutMs', cluster.connectTimeoutMs, 100);
}

const AUTH_PERMISSIONS = ['read', 'write', 'admin'];

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
  validateClientCertificates(auth);
  const logins = auth.usersFile !== null || jwt.secret !== null || jwt.jwksFile !== null;
  if (auth.allowAnonymous === false && !logins) {
    throw new ConfigError(
      'auth.allowAnonymous is false, but no auth.usersFile or auth.jwt is configured: nobody could connect',
    );
  }
}

function validateClientCertificates(auth: AuthConfig): void {
  const certs = auth.clientCertificates;
  if (typeof certs.enabled !== 'boolean')
    throw new ConfigError('auth.clientCertificates.enabled must be true or false');
  requireOneOf('auth.clientCertificates.userFrom', certs.userFrom, ['cn', 'dn']);
  if (!isPlainObject(certs.dnUsers))
    throw new ConfigError(
      'auth.clientCertificates.dnUsers must map subject DNs to user names, e.g. { "CN=alice,O=Acme": "alice" }',
    );
  for (const [dn, user] of Object.entries(certs.dnUsers)) {
    if (!isDistinguishedName(dn))
      throw new ConfigError(
        `auth.clientCertificates.dnUsers: ${JSON.stringify(dn)} is not a DN such as "CN=alice,O=Acme"`,
      );
    if (typeof user !== 'string' || !isValidUserName(user))
      throw new ConfigError(
        `auth.clientCertificates.dnUsers[${JSON.stringify(dn)}] must be a user name (got ${JSON.stringify(user)})`,
      );
  }
  if (!certs.enabled) return;
  if (auth.usersFile === null)
    throw new ConfigError(
      'auth.clientCertificates.enabled needs auth.usersFile: certificates name users of the users file, whose groups apply',
    );
  if (certs.userFrom === 'dn' && Object.keys(certs.dnUsers).length === 0)
    throw new ConfigError(
      "auth.clientCertificates.userFrom is 'dn' but auth.clientCertificates.dnUsers is empty: map each DN to a user",
    );
}

function requireNames(key: string, value: unknown, allowed: readonly string[]): void {
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
      `${key} must be a port number 0-65535, or null to disable it (got ${shown(value)})`,
    );
  }
}

function requireInt(key: string, value: unknown, min: number): void {
  if (!Number.isInteger(value) || (value as number) < min) {
    throw new ConfigError(`${key} must be an integer >= ${min} (got ${shown(value)})`);
  }
}

function requireOneOf(key: string, value: unknown, allowed: string[]): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new ConfigError(`${key} must be one of ${allowed.join(', ')} (got ${shown(value)})`);
  }
}

/** A bad value as the user wrote it: strings quoted, so `"abc"` and `abc` read differently from `5`. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
