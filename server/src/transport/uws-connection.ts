import type { WebSocket } from 'uWebSockets.js';
import { isUtf8 } from 'node:buffer';
import { notifyClosed, type TransportErrorReporter } from './common.js';
import type { Connection, ConnectionHandler } from './connection.js';
import { type BatchedWriter, scheduleFlush } from './flush-scheduler.js';
import { joinParts } from './join-scratch.js';

// One STOMP-over-WebSocket connection on uWebSockets.js: frames held for the
// end of the turn and written in one corked pass, uWS's backpressure mapped
// onto our high-water mark, and its synchronous close handler kept from
// re-entering the session (see the notes at the top of uws.ts).

/** Per-socket userData, filled in `upgrade` (the only place the HTTP request is readable). */
export interface SocketState {
  remoteAddress: string;
  subprotocol: string;
  connection: UwsConnection | undefined;
}

/** uWS send() status: message dropped because the socket is above maxBackpressure. */
const SEND_DROPPED = 2;

/**
 * Most bytes a connection holds back for the end of the turn: a few times
 * uWS's 16 KiB cork buffer, so a big burst costs no extra syscalls, while a
 * connection that is sent much in one turn never sits on much memory.
 */
const MAX_HELD_BYTES = 64 * 1024;

/** What a held frame is known to be: UTF-8 (a text message), not (binary), or not yet checked. */
const KIND_UNKNOWN = 0;
const KIND_TEXT = 1;
const KIND_BINARY = 2;
/**
 * Added to the kind of a frame held as two parts (sendParts): this entry is
 * the head, the next one the tail (whose own kind entry is unused).
 */
const KIND_PARTS = 4;

/**
 * The connection whose held frames the running ws.cork() pass writes: one
 * module-level callback instead of a closure per connection (uWS corks one
 * socket at a time, synchronously).
 */
let corking: UwsConnection | null = null;
function writeCorked(): void {
  corking!.writeBatch();
}

export class UwsConnection implements Connection, BatchedWriter {
  readonly transport = 'uws' as const;
  readonly remoteAddress: string;
  /** uWS.js does not expose the peer port. */
  readonly remotePort = 0;
  readonly subprotocol: string;
  readonly secure: boolean;
  handler: ConnectionHandler | undefined;

  /** uWS ran our close handler: `ws` is dead and must not be touched. */
  private closed = false;
  /** end()/destroy() was called: no more sends, no more onData. */
  private ending = false;
  /** send() returned false; onDrain is owed. */
  private needDrain = false;
  /** Depth of our own calls into uWS that may run the close handler synchronously. */
  private inOwnCall = 0;
  private closeDelivered = false;
  /**
   * Frames accepted by send() and held until the end of this event-loop turn
   * (flush-scheduler.ts), then written in one corked pass: one syscall for
   * all of them. The turn's first frame is held in these fields (most
   * connections of a fan-out get one frame per turn: no arrays then), the
   * rest in the arrays below; all null between turns.
   */
  private first: Uint8Array | null = null;
  /** The first frame's tail part (sendParts), or null. */
  private firstTail: Uint8Array | null = null;
  private firstKind = KIND_UNKNOWN;
  /** Frames after the first. */
  private batch: Uint8Array[] | null = null;
  /** Per held frame: TEXT, BINARY, or UNKNOWN (check with isUtf8 when writing). */
  private batchKinds: number[] | null = null;
  private batchBytes = 0;
  /** Registered with the flush scheduler for this turn. */
  private flushQueued = false;
  /** uWS's own backlog after the last flush: it only shrinks until the next one, so held + this bounds the total. */
  private backlogAtFlush = 0;
  /** A send inside the corked pass was dropped by uWS: destroy once the pass is over. */
  private droppedInFlush = false;
  /** Held bytes that are written at once rather than at the end of the turn. */
  private readonly batchLimit: number;

  constructor(
    private readonly ws: WebSocket<SocketState>,
    state: SocketState,
    private readonly highWaterMark: number,
    private readonly onError: TransportErrorReporter,
    secure: boolean,
  ) {
    this.remoteAddress = state.remoteAddress;
    this.subprotocol = state.subprotocol;
    this.secure = secure;
    this.batchLimit = Math.min(MAX_HELD_BYTES, highWaterMark);
  }

  get bufferedAmount(): number {
    return this.closed ? 0 : this.batchBytes + this.ws.getBufferedAmount();
  }

  send(data: Uint8Array, utf8?: boolean): boolean {
    return this.hold(
      data,
      null,
      utf8 === undefined ? KIND_UNKNOWN : utf8 ? KIND_TEXT : KIND_BINARY,
    );
  }

  /** Held as two parts, joined in a reused scratch buffer at write time: no Buffer per delivery. */
  sendParts(head: Uint8Array, tail: Uint8Array, utf8: boolean): boolean {
    return this.hold(head, tail, utf8 ? KIND_TEXT : KIND_BINARY);
  }

  private hold(data: Uint8Array, tail: Uint8Array | null, kind: number): boolean {
    if (this.ending || this.closed) return false;
    if (this.first === null) {
      this.first = data;
      this.firstTail = tail;
      this.firstKind = kind;
    } else {
      if (this.batch === null) {
        this.batch = [];
        this.batchKinds = [];
      }
      if (tail === null) {
        this.batch.push(data);
        this.batchKinds!.push(kind);
      } else {
        this.batch.push(data, tail);
        this.batchKinds!.push(kind + KIND_PARTS, KIND_UNKNOWN);
      }
    }
    this.batchBytes += tail === null ? data.length : data.length + tail.length;
    if (this.batchBytes >= this.batchLimit) {
      // Enough held to fill the kernel's buffer: holding more buys no fewer
      // syscalls, so write now. This also keeps send()'s answer what it was
      // without batching: false only once uWS itself holds more than the
      // high-water mark, i.e. the peer really is not reading.
      if (!this.writeHeld()) return false;
    } else if (!this.flushQueued) {
      this.flushQueued = true;
      scheduleFlush(this);
    }
    // The one place that decides "too much queued": frames held for this
    // turn count as much as what uWS holds, so a corked connection still
    // honours the high-water mark.
    if (this.batchBytes + this.backlogAtFlush > this.highWaterMark) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  /** End of the turn: write the held frames (one corked pass), then report a drain that is owed. */
  flushBatch(): void {
    this.flushQueued = false;
    if (!this.writeHeld()) return;
    // send() may have said "full" on a backlog that uWS has since drained.
    if (this.needDrain && this.batchBytes + this.backlogAtFlush <= this.highWaterMark) {
      this.handleDrain();
    }
  }

  /**
   * Write the held frames in one corked pass and note uWS's backlog. False
   * when the connection is gone (closed, or destroyed because uWS dropped a frame).
   */
  private writeHeld(): boolean {
    if (this.closed) {
      this.dropBatch();
      return false;
    }
    if (this.first === null) return true;
    this.inOwnCall++;
    try {
      // One frame needs no cork: ws.send writes it directly.
      if (this.batch === null) this.writeBatch();
      else {
        corking = this;
        this.ws.cork(writeCorked);
      }
    } finally {
      this.inOwnCall--;
    }
    if (this.closed) return false;
    if (this.droppedInFlush) {
      this.droppedInFlush = false;
      this.onError(
        new Error(
          `uWS dropped an outbound message above maxBackpressure (${this.ws.getBufferedAmount()} bytes buffered); connection destroyed`,
        ),
        this,
      );
      this.destroy();
      return false;
    }
    this.backlogAtFlush = this.ws.getBufferedAmount();
    return true;
  }

  /** Each held frame as one WebSocket message (STOMP over WebSocket: one frame per message). */
  writeBatch(): void {
    const batch = this.batch;
    const kinds = this.batchKinds;
    if (this.sendHeld(this.first!, this.firstTail, this.firstKind) && batch !== null) {
      for (let i = 0; i < batch.length; i++) {
        const kind = kinds![i]!;
        const sent =
          kind >= KIND_PARTS
            ? this.sendHeld(batch[i]!, batch[++i]!, kind - KIND_PARTS)
            : this.sendHeld(batch[i]!, null, kind);
        if (!sent) break;
      }
    }
    // Let go of the frames: an idle connection keeps none.
    this.dropBatch();
  }

  /** One held frame as one WebSocket message; false when the pass must stop (uWS dropped it, or closed). */
  private sendHeld(data: Uint8Array, tail: Uint8Array | null, kind: number): boolean {
    // uWS copies the bytes before send returns, so the shared scratch is free again after it.
    if (tail !== null) data = joinParts(data, tail);
    // Text when the bytes are valid UTF-8, binary otherwise. A text message
    // that is not UTF-8 makes browsers fail the connection, so binary is
    // required for binary bodies; but not every client handles binary
    // messages well: @stomp/stompjs (v5+) parses both as bytes, yet the
    // legacy stomp.js 2.x (still common with Spring/SockJS tutorials)
    // decodes binary messages byte-by-byte as Latin-1 and garbles non-ASCII
    // text. Text-when-possible is what ActiveMQ/RabbitMQ/Spring send. The
    // check is buffer.isUtf8 (SIMD, ~40 ns for a 1 KiB frame).
    // A STOMP stream with a hole in it is corrupt (a lost MESSAGE, RECEIPT
    // or ERROR the client waits for forever), so a frame uWS drops (above
    // maxBackpressure) ends the connection: flushBatch destroys it after
    // this pass. Only reachable if the session ignores send()'s false or
    // maxBackpressure is configured below the high-water mark.
    const binary = kind === KIND_UNKNOWN ? !isUtf8(data) : kind === KIND_BINARY;
    if (this.ws.send(data, binary, false) === SEND_DROPPED) {
      this.droppedInFlush = true;
      return false;
    }
    return !this.closed;
  }

  private dropBatch(): void {
    this.first = null;
    this.firstTail = null;
    this.batch = null;
    this.batchKinds = null;
    this.batchBytes = 0;
  }

  end(): void {
    if (this.ending || this.closed) return;
    this.ending = true;
    // What send() accepted goes out before the close frame.
    this.writeHeld();
    if (this.closed) return;
    this.inOwnCall++;
    try {
      // Close frame 1000; uWS sends it after anything still queued.
      this.ws.end(1000);
    } finally {
      this.inOwnCall--;
    }
  }

  destroy(): void {
    if (this.closed) return;
    this.ending = true;
    this.dropBatch();
    this.inOwnCall++;
    try {
      this.ws.close();
    } finally {
      this.inOwnCall--;
    }
  }

  // --- driven by the uWS behavior ---

  handleMessage(message: ArrayBuffer): void {
    if (this.ending || this.closed || !this.handler) return;
    try {
      // The ArrayBuffer is neutered when this callback returns; the handler copies.
      this.handler.onData(new Uint8Array(message));
    } catch (err) {
      this.fail(err);
    }
  }

  handleDrain(): void {
    if (!this.needDrain || this.closed || this.ending || !this.handler) return;
    // uWS emits drain whenever some backpressure was flushed; only report
    // once we are back under our own high-water mark.
    this.backlogAtFlush = this.ws.getBufferedAmount();
    if (this.batchBytes + this.backlogAtFlush > this.highWaterMark) return;
    this.needDrain = false;
    try {
      this.handler.onDrain();
    } catch (err) {
      this.fail(err);
    }
  }

  handleClose(): void {
    this.closed = true;
    this.ending = true;
    this.dropBatch();
    if (this.inOwnCall > 0) process.nextTick(() => this.deliverClose());
    else this.deliverClose();
  }

  private deliverClose(): void {
    if (this.closeDelivered) return;
    this.closeDelivered = true;
    notifyClosed(this.handler, this, this.onError);
  }

  private fail(err: unknown): void {
    this.onError(err, this);
    this.destroy();
  }
}
