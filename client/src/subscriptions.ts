import type { Client, IMessage } from '@stomp/stompjs';
import { toReceived } from './message.js';
import {
  DEFAULTS,
  HISTORY_HEADERS,
  historyHeaders,
  type MessageHandler,
  type SubscribeOptions,
  subscribeHeaders,
} from './options.js';

/** What `subscribe()` returns. */
export interface SubscriptionHandle {
  /** The STOMP subscription id; the same across reconnects. */
  readonly id: string;
  /** Stop receiving (UNSUBSCRIBE). For a durable subscription this detaches; the broker keeps it. */
  unsubscribe(): void;
}

type AckMode = 'auto' | 'client' | 'client-individual';

interface SubscriptionState {
  readonly id: string;
  readonly destination: string;
  readonly handler: MessageHandler;
  readonly ackMode: AckMode;
  /** SUBSCRIBE headers without history. */
  readonly headers: Record<string, string>;
  /** The history the subscription first asked for, as headers; null for none. */
  readonly history: Record<string, string> | null;
  /** message-id of the last message handed to the handler (history subscriptions resume after it). */
  lastMessageId: string | undefined;
  /** The broker's current session has this subscription (sent on it, or restored by resumption). */
  known: boolean;
  readonly seen: RecentIds;
}

interface PendingAck {
  kind: 'ack' | 'nack';
  ackId: string;
  subscriptionId: string;
}

/**
 * The last `size` message-ids a subscription delivered, each with the
 * session epoch it came in (or NACKED once the application refused it),
 * for dropping duplicates.
 */
class RecentIds {
  private readonly seen = new Map<string, number>();

  constructor(private readonly size: number) {}

  get(id: string): number | undefined {
    return this.seen.get(id);
  }

  set(id: string, value: number): void {
    this.seen.delete(id);
    this.seen.set(id, value);
    if (this.seen.size > this.size) this.seen.delete(this.seen.keys().next().value!);
  }
}

/** RecentIds value of a message the application NACKed: its redelivery is expected. */
const NACKED = -1;

/** What the subscriptions need from the client that owns the connection. */
export interface SubscriptionsHost {
  /** The connection that answered CONNECTED, or undefined between connections. */
  live(): Client | undefined;
  /** Bumped on every CONNECTED that is not a resumption: acks of older epochs are void. */
  epoch(): number;
  isClosed(): boolean;
  /** Every MESSAGE enters through the client (it remembers the last one for resumption). */
  onMessage(message: IMessage): void;
  /** A message handler threw. */
  handlerFailed(error: unknown): void;
}

/**
 * The application's subscriptions, which outlive any one connection: they
 * are sent again (resuming history after the last message delivered) on a
 * new session, duplicates are dropped, and ACK/NACKs made while offline are
 * sent once a resumed session is back.
 */
export class Subscriptions {
  private readonly byId = new Map<string, SubscriptionState>();
  private readonly unsubscribedOffline = new Set<string>();
  private nextSubscription = 0;
  private pendingAcks: PendingAck[] = [];
  private readonly host: SubscriptionsHost;
  private readonly clientId: string | undefined;

  constructor(host: SubscriptionsHost, clientId: string | undefined) {
    this.host = host;
    this.clientId = clientId;
  }

  /** Register a subscription (see StompedeClient.subscribe) and SUBSCRIBE at once if connected. */
  add(destination: string, handler: MessageHandler, options: SubscribeOptions): SubscriptionHandle {
    const headers = subscribeHeaders(options, this.clientId);
    let history = options.history === undefined ? null : historyHeaders(options.history);
    for (const name of HISTORY_HEADERS) {
      const value = headers[name];
      if (value === undefined) continue;
      delete headers[name];
      if (options.history === undefined) history = { ...history, [name]: value };
    }
    const id = headers.id ?? `sub-${++this.nextSubscription}`;
    delete headers.id;
    if (this.byId.has(id) || id === DEFAULTS.replySubscriptionId) {
      throw new Error(`subscribe(): subscription id ${id} is already in use`);
    }
    const subscription: SubscriptionState = {
      id,
      destination,
      handler,
      // subscribeHeaders put options.ack there; a raw `ack` header counts the same.
      ackMode: (headers.ack ?? 'auto') as AckMode,
      headers,
      history,
      lastMessageId: undefined,
      known: false,
      seen: new RecentIds(DEFAULTS.dedupeWindow),
    };
    this.byId.set(id, subscription);
    this.unsubscribedOffline.delete(id);
    const live = this.host.live();
    if (live) this.sendSubscribe(live, subscription);
    return { id, unsubscribe: () => this.remove(id) };
  }

  /**
   * `stomp` answered CONNECTED. A resumed session still has every
   * subscription: only what changed while away is sent. A new one gets
   * every subscription again.
   */
  connected(stomp: Client, resumed: boolean): void {
    if (resumed) {
      for (const id of this.unsubscribedOffline) stomp.unsubscribe(id);
      for (const ack of this.pendingAcks) stomp[ack.kind](ack.ackId, ack.subscriptionId);
    } else {
      for (const subscription of this.byId.values()) subscription.known = false;
    }
    this.unsubscribedOffline.clear();
    this.pendingAcks = [];
    for (const subscription of this.byId.values()) {
      if (!subscription.known) this.sendSubscribe(stomp, subscription);
    }
  }

  /** Closed for good: acknowledgements still waiting for a connection are dropped. */
  closed(): void {
    this.pendingAcks = [];
  }

  /** A MESSAGE of one of the application's subscriptions: to its handler, unless a duplicate. */
  deliver(message: IMessage, subscriptionId: string): void {
    const subscription = this.byId.get(subscriptionId);
    if (subscription === undefined) return; // unsubscribed meanwhile
    const messageId = message.headers['message-id'];
    const epoch = this.host.epoch();
    if (messageId !== undefined) {
      const seenIn = subscription.seen.get(messageId);
      if (seenIn !== undefined) {
        // Seen before: a duplicate, unless it is a redelivery the application must handle again
        // (it NACKed the message, or its ack belonged to a session that is gone).
        const owed =
          subscription.ackMode !== 'auto' &&
          message.headers.redelivered === 'true' &&
          (seenIn === NACKED || seenIn < epoch);
        if (!owed) return;
      }
      subscription.seen.set(messageId, epoch);
      if (subscription.history !== null) subscription.lastMessageId = messageId;
    }
    const ackId =
      this.host.live()?.connectedVersion === '1.2'
        ? message.headers.ack
        : message.headers['message-id'];
    const received = toReceived(
      message,
      () => this.acknowledge('ack', epoch, ackId, subscriptionId),
      () => {
        if (messageId !== undefined) subscription.seen.set(messageId, NACKED);
        this.acknowledge('nack', epoch, ackId, subscriptionId);
      },
    );
    try {
      subscription.handler(received);
    } catch (error) {
      this.host.handlerFailed(error);
    }
  }

  private sendSubscribe(stomp: Client, subscription: SubscriptionState): void {
    const headers: Record<string, string> = { ...subscription.headers, id: subscription.id };
    if (subscription.history !== null) {
      Object.assign(
        headers,
        subscription.lastMessageId === undefined
          ? subscription.history
          : { 'x-history-after': subscription.lastMessageId },
      );
    }
    stomp.subscribe(subscription.destination, this.host.onMessage, headers);
    subscription.known = true;
  }

  private remove(id: string): void {
    const subscription = this.byId.get(id);
    if (subscription === undefined) return;
    this.byId.delete(id);
    const live = this.host.live();
    if (live !== undefined) {
      ignoreLostConnection(() => live.unsubscribe(id));
    } else if (subscription.known && !this.host.isClosed()) {
      // A resumed session would still have it: unsubscribe once reconnected.
      this.unsubscribedOffline.add(id);
    }
  }

  private acknowledge(
    kind: 'ack' | 'nack',
    epoch: number,
    ackId: string | undefined,
    subscriptionId: string,
  ): void {
    // A message of an earlier session is the broker's to redeliver; acking it now would be an error.
    if (ackId === undefined || epoch !== this.host.epoch() || this.host.isClosed()) return;
    const live = this.host.live();
    if (live !== undefined) ignoreLostConnection(() => live[kind](ackId, subscriptionId));
    else this.pendingAcks.push({ kind, ackId, subscriptionId });
  }
}

/**
 * Run a frame-sending call whose connection may have just dropped: stompjs
 * throws then, and the broker settles it (an unacked message is redelivered).
 */
function ignoreLostConnection(send: () => void): void {
  try {
    send();
  } catch {
    // the connection is gone; see above
  }
}
