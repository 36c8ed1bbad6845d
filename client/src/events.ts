import { reportLater } from './environment.js';
import type { ClientState, ErrorListener, StateInfo, StateListener } from './options.js';

/**
 * The client's `state` and `error` listeners. A listener that throws is
 * reported, never allowed to break the client or the other listeners.
 */
export class ClientEvents {
  private readonly stateListeners = new Set<StateListener>();
  private readonly errorListeners = new Set<ErrorListener>();

  /** Add a listener; returns a function that removes it. */
  on(event: 'state' | 'error', listener: StateListener | ErrorListener): () => void {
    if (event === 'state') {
      const fn = listener as StateListener;
      this.stateListeners.add(fn);
      return () => this.stateListeners.delete(fn);
    }
    if (event === 'error') {
      const fn = listener as ErrorListener;
      this.errorListeners.add(fn);
      return () => this.errorListeners.delete(fn);
    }
    throw new TypeError(`unknown event ${String(event)}: use 'state' or 'error'`);
  }

  emitState(state: ClientState, info: StateInfo): void {
    for (const listener of [...this.stateListeners]) {
      try {
        listener(state, info);
      } catch (error) {
        reportLater(error);
      }
    }
  }

  emitError(error: Error): void {
    for (const listener of [...this.errorListeners]) {
      try {
        listener(error);
      } catch (thrown) {
        reportLater(thrown);
      }
    }
  }

  /** A message handler threw: to the error listeners, or to the environment when there are none. */
  handlerFailed(error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    if (this.errorListeners.size > 0) this.emitError(failure);
    else reportLater(failure);
  }
}
