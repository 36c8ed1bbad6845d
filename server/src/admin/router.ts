/**
 * The admin API's dispatch: a table of routes (one small file per resource
 * group adds its own), matched on method and path segments, each with the
 * access it needs. Answers are JSON; every failure is `{error, code}`.
 */
import type { Principal } from '../auth/index.js';
import type { Broker } from '../broker/broker.js';
import { BrokerError } from '../broker/errors.js';
import { logAdminAction } from '../logger.js';
import type { HttpRequestInfo, HttpResponseData } from '../transport/connection.js';
import { type Access, authenticateRequest, requireAccess } from './access.js';
import { AdminError, badRequest, clip } from './errors.js';
import type { AdminHost } from './host.js';
import { API_PREFIX } from './http.js';

/** Where the API lives on the HTTP port. */
export { API_PREFIX };

export interface AdminCall {
  readonly host: AdminHost;
  readonly broker: Broker;
  readonly request: HttpRequestInfo;
  /** Path parameters (`:name` segments), URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly principal: Principal;
  /** Who, for admin-action log lines ('' for anonymous). */
  readonly user: string;
  /** The request body parsed as a JSON object (400 when it is not one). */
  json(): Record<string, unknown>;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** e.g. '/queues/:name/messages' (below API_PREFIX). */
  path: string;
  access: Access;
  /**
   * For actions on one destination: the destination, so admin on it alone
   * suffices (global admin always does).
   */
  destinationOf?: (params: Readonly<Record<string, string>>) => string;
  /**
   * For actions (POST, DELETE): the verb and the target of its `admin action`
   * log line, written by the router once the action took effect or failed.
   */
  action?: { name: string; target(call: AdminCall): string };
  handle(call: AdminCall): unknown;
}

interface CompiledRoute extends Route {
  segments: string[];
}

export class AdminRouter {
  private readonly routes: CompiledRoute[] = [];

  constructor(private readonly host: AdminHost) {}

  add(routes: readonly Route[]): void {
    for (const route of routes) {
      this.routes.push({ ...route, segments: route.path.split('/').filter((s) => s !== '') });
    }
  }

  /** Answer one request whose path starts with API_PREFIX. Never throws. */
  async handle(request: HttpRequestInfo): Promise<HttpResponseData> {
    try {
      return json(200, await this.dispatch(request));
    } catch (err) {
      if (err instanceof AdminError) {
        return json(err.status, { error: err.message, code: err.code }, err.headers);
      }
      if (err instanceof BrokerError) {
        // What the broker refuses from a client (bad header, full queue…) it refuses here too.
        const full = err.code === 'limit-exceeded';
        return json(full ? 409 : 400, {
          error: `${err.message}: ${err.detail}`,
          code: full ? 'conflict' : 'bad-request',
        });
      }
      this.host.logger.error({ err, url: request.url.slice(0, 200) }, 'admin API request failed');
      const message = err instanceof Error ? err.message : String(err);
      return json(500, {
        error: `The broker failed to answer this request (${clip(message)}); it has been logged.`,
        code: 'internal',
      });
    }
  }

  /** Run an action and put it on record: who did what to what, and whether it worked. */
  private async act(
    action: NonNullable<Route['action']>,
    call: AdminCall,
    route: Route,
  ): Promise<unknown> {
    let target = '';
    try {
      target = action.target(call);
      const result = await route.handle(call);
      logAdminAction(this.host.logger, {
        action: action.name,
        target,
        user: call.user,
        remoteAddress: call.request.remoteAddress,
        ...countsOf(result),
      });
      return result;
    } catch (err) {
      logAdminAction(this.host.logger, {
        action: action.name,
        target,
        user: call.user,
        remoteAddress: call.request.remoteAddress,
        ok: false,
        error: err instanceof Error ? err.message : String(err),
      });
      throw err;
    }
  }

  private async dispatch(request: HttpRequestInfo): Promise<unknown> {
    const query = request.url.indexOf('?');
    const path = query < 0 ? request.url : request.url.slice(0, query);
    const segments = path
      .slice(API_PREFIX.length)
      .split('/')
      .filter((s) => s !== '')
      .map((segment) => {
        try {
          return decodeURIComponent(segment);
        } catch {
          throw badRequest(`The path segment '${clip(segment, 80)}' is not valid URL encoding.`);
        }
      });
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    let allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (params === null) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      allowed = [];
      const principal = await authenticateRequest(this.host, request);
      requireAccess(this.host, principal, route.access, route.destinationOf?.(params));
      const call: AdminCall = {
        host: this.host,
        broker: this.host.broker,
        request,
        params,
        query: new URLSearchParams(query < 0 ? '' : request.url.slice(query + 1)),
        principal,
        user: principal.name,
        json: () => parseBody(request),
      };
      if (route.action === undefined) return await route.handle(call);
      return await this.act(route.action, call, route);
    }
    if (allowed.length > 0) {
      throw new AdminError(
        405,
        'method-not-allowed',
        `${request.method} is not supported on ${clip(path)}; use ${allowed.join(' or ')}.`,
        { allow: allowed.join(', ') },
      );
    }
    throw new AdminError(
      404,
      'not-found',
      `No admin endpoint ${clip(path)}. The endpoints are listed in docs/admin-api.md.`,
    );
  }
}

/** Numbers an action answered with (purged, moved…), kept on its log line. */
function countsOf(result: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof result !== 'object' || result === null) return out;
  for (const [key, value] of Object.entries(result))
    if (typeof value === 'number') out[key] = value;
  return out;
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | null {
  if (pattern.length !== actual.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    if (want.startsWith(':')) params[want.slice(1)] = actual[i]!;
    else if (want !== actual[i]) return null;
  }
  return params;
}

function parseBody(request: HttpRequestInfo): Record<string, unknown> {
  if (request.body.length === 0) {
    throw badRequest('This endpoint needs a JSON object as the request body.');
  }
  let value: unknown;
  try {
    value = JSON.parse(request.body.toString('utf8'));
  } catch (err) {
    throw badRequest(`The request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponseData {
  return {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    },
    body: JSON.stringify(body),
  };
}

/** A whole-number query parameter within [min, max], or `fallback` when absent; 400 naming it otherwise. */
export function intParam(
  query: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw badRequest(
      `Query parameter '${name}' must be a whole number from ${min} to ${max}; got '${clip(raw, 40)}'.`,
    );
  }
  return value;
}
