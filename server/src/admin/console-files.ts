/**
 * The web console at /admin: plain ES modules and CSS shipped in the
 * package (server/console/), no build step. The console is a client of the
 * admin API; its own files carry nothing secret, so they are served without
 * credentials (the API asks for them).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { pathnameOf } from '../transport/common.js';
import type { HttpHandler, HttpResponseData } from '../transport/connection.js';
import { createStaticHandler } from './static-files.js';

/** Where the console is mounted on the HTTP port. */
export const CONSOLE_PREFIX = '/admin';

/** server/console: shipped in the package beside dist/. */
export function defaultConsoleDir(): string {
  return join(packageRoot(), 'console');
}

export function isConsolePath(path: string): boolean {
  return path === CONSOLE_PREFIX || path.startsWith(`${CONSOLE_PREFIX}/`);
}

export function createConsoleHandler(root = defaultConsoleDir()): HttpHandler {
  const files = existsSync(root) ? createStaticHandler(root, []) : null;
  return (request) => {
    const path = pathnameOf(request.url);
    // Relative URLs in the page resolve under /admin/ only with the slash.
    if (path === CONSOLE_PREFIX) return redirect(`${CONSOLE_PREFIX}/`);
    if (files === null) return missing(root);
    const rest = path.slice(CONSOLE_PREFIX.length) || '/';
    const query = request.url.indexOf('?');
    return files({ ...request, url: query < 0 ? rest : `${rest}${request.url.slice(query)}` });
  };
}

function redirect(location: string): HttpResponseData {
  return {
    status: 301,
    headers: { location, 'content-type': 'text/plain' },
    body: `${location}\n`,
  };
}

function missing(root: string): HttpResponseData {
  return {
    status: 404,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body: `The web console's files are not installed (expected in ${root}).\n`,
  };
}
