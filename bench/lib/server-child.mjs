/**
 * Shared by the processes that play "server" (the broker, the relays): print
 * one `BENCH-LISTENING {json}` line on stdout once bound, and answer the
 * orchestrator over IPC with CPU time, memory (optionally after forced GC)
 * and, for the broker, store statistics.
 */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';

export const LISTENING_TAG = 'BENCH-LISTENING ';

export function announce(info) {
  // performance.now() is ms since this process's time origin: in-process start-up cost.
  process.stdout.write(
    `${LISTENING_TAG}${JSON.stringify({ ...info, sinceProcessStartMs: performance.now() })}\n`,
  );
}

export function announceError(err) {
  const info = {
    error: true,
    name: err?.name ?? 'Error',
    code: err?.code,
    message: String(err?.message ?? err),
  };
  process.stdout.write(`${LISTENING_TAG}${JSON.stringify(info)}\n`);
}

function memory() {
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    // V8's young generation: grown by a burst of allocation, given back once allocation is slow again.
    newSpace: v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')
      ?.physical_space_size,
  };
}

async function forceGc() {
  if (typeof globalThis.gc !== 'function') return false;
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((r) => setImmediate(r));
  }
  return true;
}

/** Answer {id, cmd} messages from the parent. `extra()` adds server-specific fields to `stats`. */
export function serveIpc({ extra = () => ({}), close = async () => {} } = {}) {
  if (!process.send) return;
  process.on('message', async (msg) => {
    if (!msg || typeof msg !== 'object') return;
    const reply = (data) => process.send({ id: msg.id, ...data });
    try {
      switch (msg.cmd) {
        case 'stats':
          reply({
            cpu: process.cpuUsage(),
            hrNs: String(process.hrtime.bigint()),
            mem: memory(),
            ...extra(),
          });
          break;
        case 'gc-mem': {
          const gcDone = await forceGc();
          reply({ gc: gcDone, mem: memory(), ...extra() });
          break;
        }
        case 'close':
          await close();
          reply({ closed: true });
          setTimeout(() => process.exit(0), 10).unref();
          break;
        default:
          reply({ error: `unknown command ${msg.cmd}` });
      }
    } catch (err) {
      reply({ error: String(err?.stack ?? err) });
    }
  });
  // Orchestrator gone (crash, ^C): do not linger holding ports.
  process.on('disconnect', () => process.exit(0));
}
