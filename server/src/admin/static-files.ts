import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import type { HttpHandler, HttpRequestInfo, HttpResponseData } from '../transport/connection.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serve files from `root` (the demo app) on the WebSocket port, or a small
 * built-in page when there is none. Files are read once and kept: the demo
 * is a handful of small files.
 */
export function createStaticHandler(root: string | null, wsPaths: readonly string[]): HttpHandler {
  const cache = new Map<string, HttpResponseData>();
  return (request: HttpRequestInfo): HttpResponseData => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return text(
        405,
        'Method not allowed: this port serves GET requests and STOMP WebSocket upgrades.\n',
      );
    }
    const path = decodePath(request.url);
    if (path === null) return text(400, 'Bad request path.\n');
    if (wsPaths.includes(path)) {
      return text(
        426,
        `Upgrade required: ${path} speaks STOMP over WebSocket (subprotocols v12.stomp, v11.stomp, v10.stomp).\n`,
      );
    }
    if (root === null) {
      return path === '/'
        ? {
            status: 200,
            headers: { 'content-type': CONTENT_TYPES['.html']! },
            body: builtInPage(wsPaths),
          }
        : notFound(path);
    }
    const cached = cache.get(path);
    if (cached !== undefined) return cached;
    const file = resolveInside(
      root,
      path === '/' || path.endsWith('/') ? `${path}index.html` : path,
    );
    if (file === null || !existsSync(file) || !statSync(file).isFile()) return notFound(path);
    const response: HttpResponseData = {
      status: 200,
      headers: {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
      },
      body: readFileSync(file),
    };
    cache.set(path, response);
    return response;
  };
}

function decodePath(url: string): string | null {
  const query = url.indexOf('?');
  try {
    return decodeURIComponent(query < 0 ? url : url.slice(0, query));
  } catch {
    return null;
  }
}

/** Refuse `..` escapes: only files under root are served. */
function resolveInside(root: string, path: string): string | null {
  const full = normalize(join(root, path));
  const base = normalize(root.endsWith(sep) ? root : root + sep);
  return full.startsWith(base) ? full : null;
}

function text(status: number, body: string): HttpResponseData {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}

function notFound(path: string): HttpResponseData {
  return text(404, `Not found: ${path.slice(0, 200)}\n`);
}

function builtInPage(wsPaths: readonly string[]): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Stompede</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>Stompede</h1>
<p>The broker is running. Connect a STOMP client over WebSocket to
<code id="url"></code> (subprotocol <code>v12.stomp</code>), or over TCP to port 61613.</p>
<script>document.getElementById('url').textContent = 'ws://' + location.host + '${wsPaths[0] ?? '/stomp'}';</script>
</body></html>
`;
}
