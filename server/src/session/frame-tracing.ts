/**
 * The broker's frame traces, by connection id: start one on a live
 * session (its tap goes from null to a FrameTrace), read it, stop it. A
 * stopped trace stays readable — the ERROR that ended a connection is often
 * what the operator came for — until newer traces push it out.
 */
import { randomBytes } from 'node:crypto';
import { type Counters, LIMIT_BREACHES } from '../counters.js';
import { FrameTrace, type FrameTraceLimits, type TracedFrame } from './frame-trace.js';
import type { Session } from './session.js';

export interface FrameTracingConfig extends FrameTraceLimits {
  /** Traces kept at once, running or stopped; starting one more while this many run is refused. */
  maxTraces: number;
}

export type TraceStart =
  | { ok: true; traceId: string; expiresAt: number }
  | { ok: false; reason: 'no-connection' | 'too-many'; limit: number };

export interface TraceRead {
  traceId: string;
  active: boolean;
  expiresAt: number;
  dropped: number;
  frames: TracedFrame[];
}

/** Frames that fell out of a trace's ring (it holds frameTrace.maxFrames). */
export const TRACE_FRAMES_DROPPED = 'stompede_frame_trace_dropped_total';

export class FrameTracing {
  private readonly traces = new Map<string, FrameTrace>();

  constructor(
    private readonly config: FrameTracingConfig,
    private readonly counters: Counters,
    /** The live session of a connection id, or undefined. */
    private readonly find: (connectionId: string) => Session | undefined,
  ) {}

  /** Start tracing a connection; a connection already traced keeps its running trace. */
  start(connectionId: string): TraceStart {
    const session = this.find(connectionId);
    if (session === undefined) return { ok: false, reason: 'no-connection', limit: 0 };
    const running = this.traces.get(connectionId);
    if (running?.active && session.trace === running) {
      return { ok: true, traceId: running.traceId, expiresAt: running.expiresAt };
    }
    running?.stop();
    this.traces.delete(connectionId);
    if (!this.makeRoom()) {
      this.counters.increment(LIMIT_BREACHES, { limit: 'frameTrace.maxTraces' });
      return { ok: false, reason: 'too-many', limit: this.config.maxTraces };
    }
    const trace = new FrameTrace(randomBytes(9).toString('base64url'), this.config, (stopped) => {
      if (session.trace === stopped) session.trace = null;
      if (stopped.dropped > 0) this.counters.increment(TRACE_FRAMES_DROPPED, {}, stopped.dropped);
    });
    this.traces.set(connectionId, trace);
    session.trace = trace;
    return { ok: true, traceId: trace.traceId, expiresAt: trace.expiresAt };
  }

  /** The frames after seq `after`; undefined when this connection has no trace. */
  read(connectionId: string, after: number): TraceRead | undefined {
    const trace = this.traces.get(connectionId);
    if (trace === undefined) return undefined;
    // A connection that ended (or is ending: its last frame is written) records nothing more.
    if (trace.active) {
      const session = this.find(connectionId);
      if (session?.trace !== trace || session.state === 'closing' || session.state === 'closed') {
        trace.stop();
      }
    }
    return {
      traceId: trace.traceId,
      active: trace.active,
      expiresAt: trace.expiresAt,
      dropped: trace.dropped,
      frames: trace.read(after),
    };
  }

  /** Stop a connection's trace (its frames stay readable); false when it has none. */
  stop(connectionId: string): boolean {
    const trace = this.traces.get(connectionId);
    if (trace === undefined) return false;
    trace.stop();
    return true;
  }

  /** Traces running now. */
  get activeCount(): number {
    let n = 0;
    for (const trace of this.traces.values()) if (trace.active) n++;
    return n;
  }

  /** Stop every trace (broker shutdown), so no timer outlives it. */
  stopAll(): void {
    for (const trace of this.traces.values()) trace.stop();
  }

  /** Forget the oldest stopped traces until one more fits; false when all that are kept still run. */
  private makeRoom(): boolean {
    if (this.traces.size < this.config.maxTraces) return true;
    for (const [id, trace] of this.traces) {
      if (trace.active && this.find(id)?.trace === trace) continue;
      trace.stop();
      this.traces.delete(id);
      if (this.traces.size < this.config.maxTraces) return true;
    }
    return false;
  }
}
