// The admin API client of the console: JSON over fetch, Basic credentials
// from the login form kept in sessionStorage (gone when the tab closes).

const BASE = '/admin/api';
const KEY = 'stompede.console.auth';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function hasCredentials() {
  return sessionStorage.getItem(KEY) !== null;
}

export function signIn(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  sessionStorage.setItem(KEY, btoa(binary));
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

/** Call the admin API; throws ApiError with the broker's own message. A 401 also fires 'unauthorized'. */
export async function api(method, path, body) {
  // X-Requested-With: the API then answers 401 without a Basic challenge, which
  // would make the browser hold the request behind its own login prompt.
  const headers = { accept: 'application/json', 'x-requested-with': 'stompede-console' };
  const auth = sessionStorage.getItem(KEY);
  if (auth !== null) headers.authorization = `Basic ${auth}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(`${BASE}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError(0, 'unreachable', `The broker does not answer (${err.message}).`);
  }
  let data = null;
  const text = await response.text();
  if (text !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      throw new ApiError(response.status, 'bad-answer', `HTTP ${response.status}: not JSON`);
    }
  }
  if (response.ok) return data;
  const message = data && typeof data.error === 'string' ? data.error : `HTTP ${response.status}`;
  const error = new ApiError(response.status, data?.code ?? 'error', message);
  if (response.status === 401)
    window.dispatchEvent(new CustomEvent('unauthorized', { detail: error }));
  throw error;
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);
export const del = (path) => api('DELETE', path);

/** Path segment of a destination name without its prefix: '/queue/a.b' → 'a.b'. */
export function segment(name) {
  return encodeURIComponent(name.replace(/^\/(queue|topic)\//, ''));
}
