/** What the scenarios run against: the broker, a baseline relay, or --target; and the peer figures they are compared with. */
import { opts } from './options.mjs';
import { externalServer, startServer } from './processes.mjs';

export const T = opts.target;
export const BODY = 128;

export async function brokerServer(overrides) {
  if (T) return { server: externalServer(), target: T };
  const s = await startServer('broker-process.mjs', [JSON.stringify(overrides)]);
  if (s.error) return { skipped: s.error };
  const wsTransport = s.info.wsTransport;
  return { server: s, tcp: s.info.tcp, ws: s.info.ws, wsTransport };
}

export async function relayServer(script) {
  const s = await startServer(script);
  if (s.error) throw new Error(`${script}: ${s.error.message}`);
  return s;
}

export const wsTarget = (addr) => ({
  kind: 'ws',
  host: addr.host,
  port: addr.port,
  path: '/stomp',
});
export const tcpTarget = (addr) => ({ kind: 'tcp', host: addr.host, port: addr.port, path: '' });

export const PEERS = {
  fanout1000: 'RabbitMQ 24k · ActiveMQ 56k · uWS relay 250k',
  latency: 'RabbitMQ 90 · ActiveMQ 32 · relay 13 ms',
  queueNp: 'RabbitMQ 17.0k · ActiveMQ 39k',
  queueP: 'RabbitMQ 14.6k · ActiveMQ 27k',
  idle: 'RabbitMQ 140 · relay 0.2 KiB',
  startup: '',
};
