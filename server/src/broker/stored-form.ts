import { createHeaders } from '../protocol/frame.js';
import type { StoredMessage } from '../store/store.js';
import { createMessage, type Message } from './message.js';

/** The store's view of a message. */
export function storedForm(message: Message): StoredMessage {
  return {
    seq: message.seq,
    id: message.id,
    headers: message.headers,
    body: message.body,
    priority: message.priority,
    expires: message.expires,
    timestamp: message.timestamp,
  };
}

/** A message rebuilt from the store at start-up (everything stored was persistent). */
export function messageFromStore(stored: StoredMessage): Message {
  // A store that decodes into fresh null-prototype objects (lmdb) hands over
  // headers and body as they are: at start-up with a million stored messages,
  // copying them cost as much as decoding them (profiled, issue 9).
  let headers = stored.headers;
  let body = stored.body;
  if (Object.getPrototypeOf(headers) !== null) {
    headers = createHeaders();
    for (const [key, value] of Object.entries(stored.headers)) headers[key] = value;
    body = Buffer.from(stored.body);
  }
  return createMessage(stored.id, stored.seq, headers, body, {
    persistent: true,
    priority: stored.priority,
    expires: stored.expires,
    timestamp: stored.timestamp,
  });
}
