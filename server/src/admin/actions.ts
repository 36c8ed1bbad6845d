/** Actions that are not about one resource: send, routing explain, shutdown. */
import { ANONYMOUS } from '../auth/index.js';
import { explainRouting } from '../broker/explain.js';
import { messageOptions } from '../broker/message-options.js';
import { logAdminAction } from '../logger.js';
import { createHeaders } from '../protocol/frame.js';
import { requireAccess } from './access.js';
import { badRequest, notFound } from './errors.js';
import type { AdminCall, Route } from './router.js';

function destinationField(body: Record<string, unknown>): string {
  const destination = body.destination;
  if (typeof destination !== 'string' || !destination.startsWith('/')) {
    throw badRequest(
      'Body field \'destination\' must be a destination such as "/queue/orders" or "/topic/prices".',
    );
  }
  if (/^\/(temp-queue|temp-topic|reply-queue|reply-topic)\//.test(destination)) {
    throw badRequest(
      `Body field 'destination': ${destination.slice(0, 80)} is private to one connection; the admin API cannot reach it.`,
    );
  }
  return destination;
}

function headersField(body: Record<string, unknown>): Record<string, string> {
  const headers = body.headers ?? {};
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw badRequest("Body field 'headers' must be an object of header names to string values.");
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') {
      throw badRequest(`Body field 'headers.${name.slice(0, 40)}' must be a string.`);
    }
    out[name] = value;
  }
  return out;
}

async function send(call: AdminCall) {
  const body = call.json();
  const destination = destinationField(body);
  requireAccess(call.host, call.principal, 'admin', destination);
  const text = body.body ?? '';
  if (typeof text !== 'string')
    throw badRequest("Body field 'body' must be a string (UTF-8 text).");
  const headers = createHeaders();
  for (const [name, value] of Object.entries(headersField(body))) headers[name] = value;
  for (const name of ['receipt', 'transaction', 'content-length', 'message-id', 'destination']) {
    delete headers[name];
  }
  const options = messageOptions(headers, Date.now());
  const written = call.broker.publish(destination, headers, Buffer.from(text, 'utf8'), '', options);
  // Answer once a persistent message is committed, as a RECEIPT would.
  if (written !== null) await written;
  logAdminAction(call.host.logger, { action: 'send', target: destination, user: call.user });
  return { messageId: headers['message-id'] ?? null };
}

function explain(call: AdminCall) {
  const body = call.json();
  const destination = body.destination;
  if (typeof destination !== 'string' || !destination.startsWith('/')) {
    throw badRequest(
      'Body field \'destination\' must be a destination such as "/topic/prices.eu".',
    );
  }
  const headers = headersField(body);
  const sender = body.sender ?? '';
  if (typeof sender !== 'string') throw badRequest("Body field 'sender' must be a connection id.");
  let senderId = '';
  let principal = call.principal;
  if (sender !== '') {
    const identity = call.host.connectionIdentity(sender);
    if (identity === undefined) throw notFound('connection', sender);
    senderId = identity.ownerId;
    principal = identity.principal ?? ANONYMOUS;
  }
  const result = explainRouting(call.broker, { destination, headers, senderId });
  const authorizer = call.host.authorizer;
  if (authorizer !== null && sender !== '') {
    for (const part of destination.split(',').map((d) => d.trim())) {
      if (part === '' || authorizer.can(principal, 'write', part)) continue;
      result.accepted = false;
      result.rejected.unshift({
        connectionId: sender,
        subscriptionId: '',
        destination: part,
        reason: 'acl',
        detail: `${principal.anonymous ? 'anonymous' : `user '${principal.name}'`} lacks write permission on ${part}: the SEND would be refused`,
      });
    }
  }
  return result;
}

export const actionRoutes: Route[] = [
  // Access is checked per destination inside (admin on it suffices).
  { method: 'POST', path: '/send', access: 'monitor', handle: send },
  { method: 'POST', path: '/explain', access: 'monitor', handle: explain },
  {
    method: 'POST',
    path: '/shutdown',
    access: 'admin',
    handle: (call) => {
      call.host.shutdown(call.user);
      return { stopping: true };
    },
  },
];
