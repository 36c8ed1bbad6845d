/** A recording acceptor for the transport tests. */
import type {
  Connection,
  ConnectionAcceptor,
  ConnectionHandler,
} from '../../../server/src/transport/connection.js';

export async function waitFor(
  condition: () => boolean,
  what = 'condition',
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export class RecordedConnection implements ConnectionHandler {
  readonly chunks: Uint8Array[] = [];
  closes = 0;
  drains = 0;
  /** Set while a transport call made by the test is on the stack. */
  inCall = false;
  closedInsideCall = false;
  /** Optional hook run on every chunk (after recording it). */
  onChunk: ((chunk: Uint8Array) => void) | undefined;

  constructor(readonly connection: Connection) {}

  onData(chunk: Uint8Array): void {
    // The chunk is only valid during the call: copy.
    this.chunks.push(Uint8Array.from(chunk));
    this.onChunk?.(chunk);
  }

  onDrain(): void {
    this.drains++;
  }

  onClose(): void {
    this.closes++;
    if (this.inCall) this.closedInsideCall = true;
  }

  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Run a transport call and note whether onClose fired re-entrantly inside it. */
  call<T>(fn: () => T): T {
    this.inCall = true;
    try {
      return fn();
    } finally {
      this.inCall = false;
    }
  }

  waitForBytes(n: number): Promise<void> {
    return waitFor(() => this.received.length >= n, `${n} bytes`);
  }

  waitClosed(): Promise<void> {
    return waitFor(() => this.closes > 0, 'onClose');
  }
}

export class Recorder implements ConnectionAcceptor {
  readonly connections: RecordedConnection[] = [];
  /** Make accept() throw (to test error handling). */
  throwOnAccept = false;

  accept(connection: Connection): ConnectionHandler {
    if (this.throwOnAccept) throw new Error('accept failed on purpose');
    const recorded = new RecordedConnection(connection);
    this.connections.push(recorded);
    return recorded;
  }

  /** The connection with this index (the first connection is 0), once accepted. */
  async next(index: number): Promise<RecordedConnection> {
    await waitFor(() => this.connections.length > index, `connection #${index}`);
    return this.connections[index]!;
  }
}
