/**
 * The frame tracer's endpoints (docs/admin-api.md, "Frame tracer"):
 *   POST   /connections/:id/trace           start → {traceId, expiresAt}
 *   GET    /connections/:id/trace?after=SEQ → {traceId, frames, dropped, active, expiresAt}
 *   DELETE /connections/:id/trace           stop (frames stay readable) → {stopped:true}
 * Watching a connection's frames shows what its client sends, so starting
 * and stopping a trace need admin; reading one needs monitor.
 */
import { AdminError, notFound } from './errors.js';
import { intParam, type Route } from './router.js';

/** What the routes need from the session layer (session/frame-tracing.ts implements it). */
export interface FrameTracer {
  start(
    connectionId: string,
  ):
    | { ok: true; traceId: string; expiresAt: number }
    | { ok: false; reason: 'no-connection' | 'too-many'; limit: number };
  read(connectionId: string, after: number): unknown | undefined;
  stop(connectionId: string): boolean;
}

export function traceRoutes(tracer: FrameTracer): Route[] {
  return [
    {
      method: 'POST',
      path: '/connections/:id/trace',
      access: 'admin',
      handle(call) {
        const id = call.params.id!;
        const started = tracer.start(id);
        if (started.ok) {
          call.host.logger.info(
            { connection: id, traceId: started.traceId, by: call.user },
            'admin: frame trace started',
          );
          return { traceId: started.traceId, expiresAt: started.expiresAt };
        }
        if (started.reason === 'no-connection') throw notFound('connection', id);
        throw new AdminError(
          409,
          'conflict',
          `${started.limit} frame traces are running (frameTrace.maxTraces); stop one with DELETE /admin/api/connections/ID/trace first.`,
        );
      },
    },
    {
      method: 'GET',
      path: '/connections/:id/trace',
      access: 'monitor',
      handle(call) {
        const id = call.params.id!;
        const after = intParam(call.query, 'after', 0, 0, Number.MAX_SAFE_INTEGER);
        const trace = tracer.read(id, after);
        if (trace === undefined) throw notFound('frame trace for connection', id);
        return trace;
      },
    },
    {
      method: 'DELETE',
      path: '/connections/:id/trace',
      access: 'admin',
      handle(call) {
        const id = call.params.id!;
        if (!tracer.stop(id)) throw notFound('frame trace for connection', id);
        call.host.logger.info({ connection: id, by: call.user }, 'admin: frame trace stopped');
        return { stopped: true };
      },
    },
  ];
}
