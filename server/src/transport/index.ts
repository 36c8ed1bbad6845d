export { normaliseAddress } from './address.js';
export {
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_WS_PATHS,
  type TransportErrorReporter,
} from './common.js';
export type {
  Connection,
  ConnectionAcceptor,
  ConnectionHandler,
  HttpHandler,
  HttpRequestInfo,
  HttpResponseData,
  Listener,
  TransportKind,
} from './connection.js';
export {
  negotiateSubprotocol,
  parseSubprotocolOffer,
  STOMP_SUBPROTOCOLS,
  selectSubprotocol,
} from './subprotocol.js';
export {
  adaptSocket,
  listenTcp,
  type SocketAdapterOptions,
  type TcpListenOptions,
} from './tcp.js';
export { listenUws, type UwsListenOptions } from './uws.js';
export { loadUws, type UwsModule, uwsBinaryId, uwsLoadError } from './uws-loader.js';
export {
  attachWs,
  listenWs,
  type WsAttachment,
  type WsAttachOptions,
  type WsListenOptions,
} from './ws.js';
