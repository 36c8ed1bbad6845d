import { createHeaders } from '../protocol/frame.js';
import { createMessage, type Message } from './message.js';

/** Who is subscribed to a topic, for `/topic/$presence.<topic>` (the chat's "who is here"). */
export interface PresenceMember {
  /** The display name the subscriber announced with `x-presence`. */
  name: string;
  /** Its connection's session id. */
  session: string;
  /** When it joined, ms since the epoch. */
  since: number;
}

export type PresenceEvent =
  | { type: 'snapshot'; topic: string; members: PresenceMember[] }
  | { type: 'join' | 'leave'; topic: string; member: PresenceMember };

/** Topic name prefix of presence topics: `$presence.chat.lobby` reports on `chat.lobby`. */
export const PRESENCE_PREFIX = '$presence.';

/**
 * Presence per topic. A SUBSCRIBE to a topic with `x-presence:<name>` makes
 * its subscriber a member until it unsubscribes or disconnects; joins and
 * leaves are published as JSON to `/topic/$presence.<topic>`, and a new
 * subscriber of that topic first gets a snapshot of the current members.
 */
export class Presence {
  private readonly members = new Map<string, Map<object, PresenceMember>>();

  join(topic: string, key: object, member: PresenceMember): PresenceEvent {
    let members = this.members.get(topic);
    if (members === undefined) {
      members = new Map();
      this.members.set(topic, members);
    }
    members.set(key, member);
    return { type: 'join', topic: `/topic/${topic}`, member };
  }

  /** Returns the leave event, or null when `key` was no member. */
  leave(topic: string, key: object): PresenceEvent | null {
    const members = this.members.get(topic);
    const member = members?.get(key);
    if (members === undefined || member === undefined) return null;
    members.delete(key);
    if (members.size === 0) this.members.delete(topic);
    return { type: 'leave', topic: `/topic/${topic}`, member };
  }

  snapshot(topic: string): PresenceEvent {
    return {
      type: 'snapshot',
      topic: `/topic/${topic}`,
      members: [...(this.members.get(topic)?.values() ?? [])],
    };
  }
}

/** The JSON message that tells `/topic/$presence.<topic>` of a join, a leave or who is there. */
export function presenceMessage(event: PresenceEvent, id: string, seq: number): Message {
  const name = PRESENCE_PREFIX + event.topic.slice(7);
  const headers = createHeaders();
  headers.destination = `/topic/${name}`;
  headers['content-type'] = 'application/json';
  headers['message-id'] = id;
  const now = Date.now();
  headers.timestamp = String(now);
  return createMessage(id, seq, headers, Buffer.from(JSON.stringify(event)), {
    persistent: false,
    priority: 4,
    expires: 0,
    timestamp: now,
  });
}
