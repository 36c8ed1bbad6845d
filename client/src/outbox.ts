import type { Client } from '@stomp/stompjs';
import type { ClientState, ResolvedOptions } from './options.js';

/** A frame to send now, or once reconnected (the offline queue). */
export interface Outgoing {
  send(stomp: Client): void;
  fail(error: Error): void;
}

/**
 * The offline queue: what was published while no connection was up, sent
 * in order once one is (or rejected at once, per the `offline` option).
 */
export class Outbox {
  private readonly items: Outgoing[] = [];
  private readonly offline: ResolvedOptions['offline'];

  constructor(offline: ResolvedOptions['offline']) {
    this.offline = offline;
  }

  get empty(): boolean {
    return this.items.length === 0;
  }

  /** Keep `item` for the next connection, or reject it per `offline`; `state` names why it cannot go now. */
  hold(item: Outgoing, state: ClientState): void {
    const { mode, maxQueued } = this.offline;
    if (mode === 'reject') {
      item.fail(new Error(`not connected (${state}): offline mode is 'reject'`));
    } else if (this.items.length >= maxQueued) {
      item.fail(new Error(`offline queue is full (${maxQueued} messages)`));
    } else {
      this.items.push(item);
    }
  }

  /** Send what waits, in order, on `stomp` for as long as it stays the live connection. */
  flush(stomp: Client, stillLive: () => boolean): void {
    while (this.items.length > 0 && stillLive()) sendNow(stomp, this.items.shift()!);
  }

  /** Closed for good: everything still waiting fails with `error`. */
  failAll(error: Error): void {
    for (const item of this.items.splice(0)) item.fail(error);
  }
}

/** Send `item`; a throw (the connection just dropped) fails that item, not the caller. */
export function sendNow(stomp: Client, item: Outgoing): void {
  try {
    item.send(stomp);
  } catch (error) {
    item.fail(error instanceof Error ? error : new Error(String(error)));
  }
}
