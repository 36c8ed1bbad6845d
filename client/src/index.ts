/**
 * stompede-client: a promise-based, reconnecting client for the Stompede
 * STOMP broker, in browsers and Node (where the optional `ws` package
 * provides WebSocket). STOMP framing is @stomp/stompjs's; this package adds
 * typed, awaitable publish/subscribe, receipts, request/reply, topic history
 * that survives reconnects, session resumption and an offline queue.
 *
 * ```ts
 * import { connect } from 'stompede-client';
 * const client = await connect({ url: 'ws://localhost:61614/stomp' });
 * client.subscribe('/topic/logs.app', (m) => console.log(m.body), { history: 100 });
 * await client.publish('/topic/logs.app', { level: 'info', text: 'hello' }, { receipt: true });
 * ```
 */
export { connect, StompedeClient, type SubscriptionHandle } from './client.js';
export { StompedeError } from './errors.js';
export type { ReceivedMessage } from './message.js';
export {
  backoffDelay,
  type ClientState,
  type ConnectOptions,
  DEFAULTS,
  type ErrorListener,
  type HistoryRequest,
  type MessageHandler,
  type OfflineOptions,
  type PublishOptions,
  type ReconnectOptions,
  type RequestOptions,
  type StateInfo,
  type StateListener,
  type SubscribeOptions,
} from './options.js';
export { STOMP_SUBPROTOCOLS, type WebSocketConstructor, type WebSocketLike } from './websocket.js';
