#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { AuthSetupError } from './auth/errors.js';
import { isLoopbackHost } from './auth/loopback.js';
import { registerConfig } from './cli/config-check.js';
import { CliError } from './cli/options.js';
import { registerUser } from './cli/user.js';
import { ClusterError } from './cluster/errors.js';
import {
  type BrokerConfig,
  ConfigError,
  configFromEnv,
  type DeepPartial,
  layerConfigs,
  readConfigFile,
} from './config.js';
import { VERSION } from './version.js';

interface ServeFlags {
  host?: string;
  tcpPort?: number | 'off';
  wsPort?: number | 'off';
  wsTransport?: BrokerConfig['wsTransport'];
  dataDir?: string;
  store?: BrokerConfig['store'];
  config?: string;
  logLevel?: BrokerConfig['logLevel'];
  demoDir?: string;
  usersFile?: string;
  allowAnonymous?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsPort?: number | 'off';
  wssPort?: number | 'off';
  cluster?: string;
  clusterNodeId?: string;
}

/** A port number, or 'off' to disable that listener (commander drops a parser's null, so 'off' stays a string here). */
function portArg(value: string): number | 'off' {
  if (value === 'off') return 'off';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError('expected a port 0-65535 or "off"');
  }
  return n;
}

function portFlag(value: number | 'off' | undefined): number | null | undefined {
  return value === 'off' ? null : value;
}

/** Flags beat environment variables, which beat the config file, which beats the defaults. */
function configFor(flags: ServeFlags): DeepPartial<BrokerConfig> {
  const env = configFromEnv(process.env);
  const file = flags.config ?? process.env.STOMPEDE_CONFIG;
  const fromFile = file ? readConfigFile(file) : {};
  const fromFlags: DeepPartial<BrokerConfig> = {
    host: flags.host,
    tcpPort: portFlag(flags.tcpPort),
    wsPort: portFlag(flags.wsPort),
    wsTransport: flags.wsTransport,
    dataDir: flags.dataDir,
    store: flags.store,
    logLevel: flags.logLevel,
    demoDir: flags.demoDir,
    auth: {
      usersFile: flags.usersFile,
      allowAnonymous: flags.allowAnonymous === true ? true : undefined,
    },
    cluster: { url: flags.cluster, nodeId: flags.clusterNodeId },
    tls: {
      certFile: flags.tlsCert,
      keyFile: flags.tlsKey,
      caFile: flags.tlsCa,
      tcpPort: portFlag(flags.tlsPort),
      wssPort: portFlag(flags.wssPort),
    },
  };
  return layerConfigs(fromFile, env, fromFlags);
}

/**
 * Anonymous access is for the loopback default: on any other host, serve
 * refuses to start without logins (users file or JWT) unless anonymous access
 * is asked for explicitly. Returns the one-line reason, or null when fine.
 */
function anonymousExposure(config: BrokerConfig): string | null {
  const { auth, host } = config;
  if (isLoopbackHost(host) || auth.allowAnonymous === true) return null;
  if (auth.usersFile !== null || auth.jwt.secret !== null || auth.jwt.jwksFile !== null)
    return null;
  return (
    `refusing to listen on ${host} without authentication: no users file (--users-file) or JWT ` +
    '(auth.jwt) is configured, so anyone who reaches this address could connect; add users with ' +
    "'stompede user add', or pass --allow-anonymous to allow it"
  );
}

async function serve(flags: ServeFlags): Promise<void> {
  // Loaded here so the client verbs (tail, publish, subscribe) start without the broker.
  const { createBroker } = await import('./index.js');
  let broker: ReturnType<typeof createBroker>;
  try {
    broker = createBroker(configFor(flags));
  } catch (err) {
    // An unreadable users or JWKS file: one line, like any other config error.
    if (err instanceof AuthSetupError) throw new CliError(err.message, 2);
    throw err;
  }
  const refusal = anonymousExposure(broker.config);
  if (refusal !== null) throw new CliError(refusal, 2);
  const addresses = await broker.listen();
  const lines = [
    `stompede ${VERSION} is running (store: ${broker.config.store}${addresses.ws ? `, WebSocket engine: ${addresses.wsTransport}` : ''})`,
  ];
  if (addresses.ws) {
    const base = `${addresses.ws.host}:${addresses.ws.port}`;
    lines.push(`  demo and pages:     http://${base}/`);
    if (broker.config.admin.enabled) lines.push(`  web console:        http://${base}/admin/`);
    lines.push(`  STOMP over WebSocket: ws://${base}${broker.config.wsPaths[0]}`);
  }
  if (addresses.tcp)
    lines.push(`  STOMP over TCP:     stomp://${addresses.tcp.host}:${addresses.tcp.port}`);
  if (addresses.tls)
    lines.push(`  STOMP over TLS:     stomp+ssl://${addresses.tls.host}:${addresses.tls.port}`);
  if (addresses.wss) {
    const base = `${addresses.wss.host}:${addresses.wss.port}`;
    lines.push(`  STOMP over secure WebSocket: wss://${base}${broker.config.wsPaths[0]}`);
  }
  const cluster = await broker.clusterStatus();
  if (cluster.enabled) lines.push(`  cluster node ${cluster.nodeId} through ${cluster.redis?.url}`);
  lines.push('Press Ctrl+C to stop.');
  process.stderr.write(`${lines.join('\n')}\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    broker.logger.info({ signal }, 'shutting down');
    broker.close().then(
      () => process.exit(0),
      (err: unknown) => {
        broker.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // SIGHUP re-reads the TLS certificate/key/CA (after a renewal). Only when
  // TLS is on: otherwise SIGHUP keeps its default (the process ends).
  if (addresses.tls || addresses.wss) {
    // reloadTls logs the one line (new subject and expiry, or the error).
    process.on('SIGHUP', () => void broker.reloadTls());
  }
}

const program = new Command()
  .name('stompede')
  .description('A STOMP message broker for browsers (WebSocket) and ActiveMQ-style clients (TCP)')
  .version(VERSION, '-V, --version');

program
  .command('serve', { isDefault: true })
  .description('run the broker')
  .option('--host <host>', 'interface to listen on (STOMPEDE_HOST; default 127.0.0.1)')
  .option(
    '--tcp-port <port>',
    'STOMP over TCP port, or "off" (STOMPEDE_TCP_PORT; default 61613)',
    portArg,
  )
  .option(
    '--ws-port <port>',
    'HTTP + WebSocket port, or "off" (STOMPEDE_WS_PORT; default 61614)',
    portArg,
  )
  .addOption(
    new Option('--ws-transport <engine>', 'WebSocket engine (STOMPEDE_WS_TRANSPORT)').choices([
      'uws',
      'ws',
    ]),
  )
  .option('--data-dir <dir>', 'where persistent state lives (STOMPEDE_DATA_DIR; default ./data)')
  .addOption(
    new Option('--store <kind>', 'message store (STOMPEDE_STORE; default memory)').choices([
      'memory',
      'lmdb',
    ]),
  )
  .option(
    '--config <file>',
    'YAML or JSON config file (STOMPEDE_CONFIG; see docs/configuration.md)',
  )
  .addOption(
    new Option('--log-level <level>', 'log level (STOMPEDE_LOG_LEVEL; default info)').choices([
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ]),
  )
  .option('--demo-dir <dir>', 'static files served at / (STOMPEDE_DEMO_DIR)')
  .option(
    '--users-file <file>',
    'users who log in with a passcode (STOMPEDE_USERS_FILE; see stompede user add)',
  )
  .option(
    '--allow-anonymous',
    'let clients in without logging in, even on a non-loopback --host (auth.allowAnonymous)',
  )
  .option(
    '--tls-cert <file>',
    'TLS certificate (PEM); with --tls-key turns on stomp+ssl:// (STOMPEDE_TLS_CERT_FILE)',
  )
  .option('--tls-key <file>', 'TLS private key (PEM) (STOMPEDE_TLS_KEY_FILE)')
  .option(
    '--tls-ca <file>',
    'CA (PEM) that client certificates must chain to (STOMPEDE_TLS_CA_FILE)',
  )
  .option(
    '--tls-port <port>',
    'STOMP over TLS port, or "off" (STOMPEDE_TLS_PORT; default 61612)',
    portArg,
  )
  .option(
    '--wss-port <port>',
    'HTTPS + secure WebSocket port, or "off" (STOMPEDE_WSS_PORT; default off)',
    portArg,
  )
  .option(
    '--cluster <url>',
    'join a cluster through Redis: redis://[user:password@]HOST:PORT[/DB] (STOMPEDE_CLUSTER_URL; cluster.url)',
  )
  .option(
    '--cluster-node-id <id>',
    "this node's id in the cluster (STOMPEDE_CLUSTER_NODE_ID; default hostname:tcp-port)",
  )
  .action(serve);

/**
 * Whether this run can only be `serve` (the default command): no verb, or
 * `serve`, or only options, and no help asked for. Then the client and admin
 * verbs, with ws, @stomp/stompjs and cli-table3 behind them, are not loaded
 * at all (issue 9: start-up).
 */
function servesOnly(argv: readonly string[]): boolean {
  const first = argv[2];
  const serving = first === undefined || first === 'serve' || first.startsWith('-');
  return serving && !argv.some((arg) => arg === '-h' || arg === '--help' || arg === 'help');
}

const verbs = servesOnly(process.argv)
  ? null
  : await Promise.all([import('./cli/index.js'), import('./cli/admin/index.js')]);
verbs?.[0].registerClientCommands(program);
registerUser(program);
registerConfig(program);
verbs?.[1].registerAdminCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CliError) {
    process.stderr.write(`stompede: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  if (err instanceof ClusterError) {
    process.stderr.write(`stompede: ${err.message}\n${err.detail}\n`);
    process.exit(2);
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`stompede: ${err.message}\n`);
    process.exit(2);
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES') {
    process.stderr.write(
      `stompede: cannot listen: ${(err as Error).message}. Choose another port with --tcp-port/--ws-port.\n`,
    );
    process.exit(2);
  }
  process.stderr.write(`stompede: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
