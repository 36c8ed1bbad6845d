import { type BatchedWriter, scheduleFlush } from './flush-scheduler.js';

/**
 * Most bytes held corked for the end of the turn: past this a burst is
 * written at once, so a large burst does not sit in memory until the turn ends.
 */
const MAX_HELD_BYTES = 64 * 1024;

/** The part of a node:net socket a TurnCork drives. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Keeps a node socket corked from its first write in an event-loop turn to
 * the end of that turn, so every frame written in it leaves in one writev
 * (a queue delivering a burst to a consumer, a fan-out). Shared by the TCP
 * and `ws` transports; uWS holds its frames itself (uws-connection.ts).
 */
export class TurnCork implements BatchedWriter {
  private readonly socket: Corkable;
  private corked = false;
  private heldBytes = 0;
  /** A flush is scheduled for this turn. */
  private flushQueued = false;

  constructor(socket: Corkable) {
    this.socket = socket;
  }

  /** Before a write: cork the socket for the rest of this turn. */
  hold(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    if (!this.flushQueued) {
      this.flushQueued = true;
      scheduleFlush(this);
    }
  }

  /** After a write of `bytes`: past MAX_HELD_BYTES what is held goes out now. */
  wrote(bytes: number): void {
    this.heldBytes += bytes;
    if (this.heldBytes >= MAX_HELD_BYTES) this.release();
  }

  /** End of the turn: write what this turn held. */
  flushBatch(): void {
    this.flushQueued = false;
    this.release();
  }

  /** Write what is held now (before a close, or past the held-bytes bound). */
  release(): void {
    if (!this.corked) return;
    this.corked = false;
    this.heldBytes = 0;
    this.socket.uncork();
  }
}
