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
  const headers = createHeaders();
  for (const [key, value] of Object.entries(stored.headers)) headers[key] = value;
  return createMessage(stored.id, stored.seq, headers, Buffer.from(stored.body), {
    persistent: true,
    priority: stored.priority,
    expires: stored.expires,
    timestamp: stored.timestamp,
  });
}
