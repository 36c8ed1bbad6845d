/**
 * Everything the HTTP port answers besides WebSocket upgrades: the admin
 * API under /admin/api/, the metrics, and the static files (demo) for the rest.
 */
import { pathnameOf } from '../transport/common.js';
import type { HttpHandler, HttpRequestInfo } from '../transport/connection.js';
import { isConsolePath } from './console-files.js';

/**
 * Where the admin API is mounted. Defined here, not in router.ts, so that
 * answering the HTTP port does not load the router until the API is used.
 */
export const API_PREFIX = '/admin/api';

export interface HttpParts {
  /** Null when admin.enabled is off: /admin/api/ is then left to the static files (404). */
  admin: HttpHandler | null;
  metrics: { path: string; handle: HttpHandler } | null;
  files: HttpHandler;
  /** The web console at /admin (admin/console-files.ts); null when admin.enabled is off. */
  console?: HttpHandler | null;
}

export function createHttpHandler(parts: HttpParts): HttpHandler {
  const { admin, metrics, files } = parts;
  return (request: HttpRequestInfo) => {
    const path = pathnameOf(request.url);
    if (admin !== null && (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`))) {
      return admin(request);
    }
    if (metrics !== null && path === metrics.path) return metrics.handle(request);
    if (parts.console && isConsolePath(path)) return parts.console(request);
    return files(request);
  };
}

/**
 * A handler built by `load` on its first request, not at start-up: the admin
 * API's route modules and prom-client stay unloaded until someone asks
 * (issue 9: start-up). A failed load fails that request (500) and is retried
 * by the next.
 */
export function loadOnFirstRequest(load: () => Promise<HttpHandler>): HttpHandler {
  let loading: Promise<HttpHandler> | null = null;
  return async (request) => {
    loading ??= load().catch((err: unknown) => {
      loading = null;
      throw err;
    });
    return (await loading)(request);
  };
}
