import {
  type BrokerContext,
  type BrokerOverrides,
  startBroker,
  type WsTransport,
} from './broker.js';
import type { RawStompClient } from './raw-client.js';

export type ClientTransport = 'tcp' | 'ws/uws' | 'ws/ws';
export const CLIENT_TRANSPORTS: ClientTransport[] = ['tcp', 'ws/uws', 'ws/ws'];

export interface TransportContext extends BrokerContext {
  transport: ClientTransport;
  /** A raw client over this suite's transport that has completed CONNECT. */
  connect(headers?: Record<string, string>, label?: string): Promise<RawStompClient>;
  /** A raw client over this suite's transport, not yet CONNECTed. */
  open(label?: string): Promise<RawStompClient>;
}

export async function startFor(
  transport: ClientTransport,
  overrides: BrokerOverrides = {},
): Promise<TransportContext> {
  const wsTransport: WsTransport = transport === 'ws/uws' ? 'uws' : 'ws';
  const b = await startBroker({ wsTransport, ...overrides });
  const open = (label?: string): Promise<RawStompClient> =>
    transport === 'tcp'
      ? b.tcp(label)
      : b.ws({ label: label ? `${label}(${transport})` : transport });
  return {
    ...b,
    transport,
    open,
    async connect(headers = {}, label) {
      const c = await open(label);
      await c.connect(headers);
      return c;
    },
  };
}
