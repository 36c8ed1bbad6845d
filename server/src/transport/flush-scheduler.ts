/**
 * Writes held back until the end of the event-loop turn, then flushed once
 * per connection (nats-server's per-client flush; issue 9).
 *
 * A fan-out writes one frame to each of N connections per published message,
 * and a burst of published messages arrives in one read: writing each frame
 * at once costs one send syscall per frame (profiled: ~60% of the broker's
 * CPU at 1 → 1000). Holding a connection's frames until the turn ends turns a
 * burst of k messages into one syscall per connection.
 *
 * The flush runs from setImmediate, i.e. in the check phase right after the
 * poll phase that delivered the input: everything read in one loop iteration
 * goes out together, and no frame waits longer than that iteration.
 */

/** A connection that keeps frames back and writes them out in flushBatch(). */
export interface BatchedWriter {
  /** Write everything held back since the last flush. Called once per turn in which something was held. */
  flushBatch(): void;
}

const dirty: BatchedWriter[] = [];
let scheduled = false;

/**
 * Flush `writer` at the end of this event-loop turn. The caller remembers
 * that it is scheduled (so it asks once per turn); a writer scheduled while
 * the flush runs is flushed in the same pass.
 */
export function scheduleFlush(writer: BatchedWriter): void {
  dirty.push(writer);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

function flushAll(): void {
  // Re-armed first: a flush that throws must not leave the scheduler stuck.
  scheduled = false;
  let i = 0;
  try {
    // dirty.length is read on every pass: writers added during the flush are flushed too.
    for (; i < dirty.length; i++) dirty[i]!.flushBatch();
  } finally {
    if (i < dirty.length - 1) {
      // A writer threw (a bug: flushBatch reports its own errors): keep the rest for the next turn.
      dirty.splice(0, i + 1);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushAll);
      }
    } else {
      dirty.length = 0;
    }
  }
}
