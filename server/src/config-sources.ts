/**
 * Where settings come from besides code: a YAML or JSON file and STOMPEDE_*
 * environment variables, layered so that later sources win.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { BrokerConfig, DeepPartial } from './config.js';
import { ConfigError, isPlainObject } from './config-validate.js';

let yamlModule: typeof Yaml | undefined;
/** yaml is ~70 modules: loaded for the first YAML file, not on every start-up (issue 9). */
function yaml(): typeof Yaml {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yamlModule;
}

/**
 * Read a config file: JSON when its name ends in `.json`, YAML otherwise
 * (`.yaml`, `.yml`; YAML also reads JSON). Errors name the file, and the
 * line and column for syntax errors.
 */
export function readConfigFile(path: string): DeepPartial<BrokerConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  const json = path.toLowerCase().endsWith('.json');
  let parsed: unknown;
  try {
    // Duplicate keys are errors (yaml's default), like unknown ones: a second value silently winning hides mistakes.
    parsed = json ? JSON.parse(text) : yaml().parse(text, { prettyErrors: true });
  } catch (err) {
    const why =
      err instanceof yaml().YAMLParseError ? err.message.split('\n')[0] : (err as Error).message;
    throw new ConfigError(`config file ${path} is not valid ${json ? 'JSON' : 'YAML'}: ${why}`);
  }
  // An empty YAML file is an empty config.
  if (parsed === null || parsed === undefined) return {};
  if (!isPlainObject(parsed))
    throw new ConfigError(`config file ${path}: the top level must be a mapping of keys`);
  return parsed as DeepPartial<BrokerConfig>;
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
  const cluster: NonNullable<DeepPartial<BrokerConfig>['cluster']> = {};
  if (env.STOMPEDE_CLUSTER_URL) cluster.url = env.STOMPEDE_CLUSTER_URL;
  if (env.STOMPEDE_CLUSTER_NODE_ID) cluster.nodeId = env.STOMPEDE_CLUSTER_NODE_ID;
  if (Object.keys(cluster).length > 0) out.cluster = cluster;
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
