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
  PeerCertificate,
  SecureListener,
  TransportKind,
} from './connection.js';
export {
  canonicalOrigin,
  DEFAULT_ORIGIN_OPTIONS,
  type OriginOptions,
  OriginPolicy,
  originPatternError,
  type RefusedUpgrade,
  type RefusedUpgradeReporter,
  type UpgradeRefusalReason,
} from './origin.js';
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
export { listenTls, type TlsListenOptions } from './tls.js';
export {
  loadTlsMaterial,
  type TlsFiles,
  type TlsMaterial,
  type TlsServerOptions,
  verifiedPeerCertificate,
} from './tls-material.js';
export { listenUws, listenUwsSsl, type UwsListenOptions } from './uws.js';
export { loadUws, type UwsModule, uwsBinaryId, uwsLoadError } from './uws-loader.js';
export {
  attachWs,
  listenWs,
  listenWss,
  type WsAttachment,
  type WsAttachOptions,
  type WsListenOptions,
} from './ws.js';
