/**
 * A small client for the admin API over real HTTP (node's fetch): JSON in,
 * status + parsed JSON out, and the raw response for header checks.
 */
import type { BrokerContext } from './broker.js';

export interface AdminResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** What JSON answers are typed as in tests: the assertions check their shape. */
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON, checked by each test's assertions
export type Json = any;

export interface AdminClient {
  readonly base: string;
  get<T = Json>(path: string): Promise<AdminResponse<T>>;
  post<T = Json>(path: string, body?: unknown): Promise<AdminResponse<T>>;
  del<T = Json>(path: string): Promise<AdminResponse<T>>;
  request<T = Json>(method: string, path: string, init?: RequestInit): Promise<AdminResponse<T>>;
}

/** `auth`: 'user:pass' for Basic, or { bearer: token }. */
export function adminClient(
  ctx: BrokerContext | string,
  auth?: string | { bearer: string },
): AdminClient {
  const origin = typeof ctx === 'string' ? ctx : `http://127.0.0.1:${ctx.addr.ws.port}`;
  const base = `${origin}/admin/api`;
  const authHeader: Record<string, string> =
    auth === undefined
      ? {}
      : typeof auth === 'string'
        ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` }
        : { authorization: `Bearer ${auth.bearer}` };
  const request = async <T>(method: string, path: string, init: RequestInit = {}) => {
    const response = await fetch(path.startsWith('http') ? path : `${base}${path}`, {
      ...init,
      method,
      headers: { ...authHeader, ...(init.headers as Record<string, string> | undefined) },
    });
    const text = await response.text();
    let body: unknown = text;
    if ((response.headers.get('content-type') ?? '').startsWith('application/json')) {
      body = JSON.parse(text);
    }
    return { status: response.status, headers: response.headers, body: body as T, text };
  };
  return {
    base,
    request,
    get: (path) => request('GET', path),
    post: (path, body) =>
      request('POST', path, {
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      }),
    del: (path) => request('DELETE', path),
  };
}

/** Poll `read` until `done` holds (the broker applies some effects a tick later); returns the last value. */
export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) {
      throw new Error(
        `condition not met within ${timeoutMs}ms; last value: ${JSON.stringify(value)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
    value = await read();
  }
  return value;
}
