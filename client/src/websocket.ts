/** The part of the WebSocket interface stompjs uses: the browser's WebSocket and `ws` both fit. */
export interface WebSocketLike {
  readonly url: string;
  readonly readyState: number;
  binaryType?: string;
  // biome-ignore lint/suspicious/noExplicitAny: event types differ between the DOM and `ws`.
  onopen: ((event?: any) => unknown) | null | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  onclose: ((event?: any) => unknown) | null | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  onerror: ((event: any) => unknown) | null | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  onmessage: ((event: any) => unknown) | null | undefined;
  close(): void;
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
}

/** A WebSocket constructor: the browser's, `ws`'s in Node, or a test double. */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike;

/** The subprotocols Stompede speaks, newest first. */
export const STOMP_SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

/** `globalThis.WebSocket`, else the optional `ws` package (Node before 22 has no global WebSocket). */
export async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global !== undefined) return global;
  // A variable keeps bundlers from trying to include `ws` in browser builds.
  const moduleName = 'ws';
  try {
    const ws = (await import(/* @vite-ignore */ moduleName)) as { default: WebSocketConstructor };
    return ws.default;
  } catch {
    throw new Error(
      'No WebSocket implementation: this runtime has no global WebSocket. In Node, install the `ws` package ' +
        '(npm install ws) or pass one as the WebSocket option.',
    );
  }
}

/** A readable reason from a socket error event (`ws` carries a message; browsers carry none). */
export function describeSocketError(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const { message, error } = event as { message?: unknown; error?: unknown };
  if (typeof message === 'string' && message !== '') return message;
  if (error instanceof Error) return error.message;
  return undefined;
}

/** A readable reason from a socket close event. */
export function describeClose(event: unknown): string {
  const { code, reason } = (event ?? {}) as { code?: unknown; reason?: unknown };
  const why = typeof reason === 'string' && reason !== '' ? `: ${reason}` : '';
  return typeof code === 'number' ? `connection closed (code ${code}${why})` : 'connection closed';
}
