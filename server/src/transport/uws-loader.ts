/**
 * Loads the native uWebSockets.js binary, or reports why it cannot.
 *
 * The package's own entry point (src/uws.js) quietly falls back to a much
 * slower pure-JS emulation when the binary does not load for this
 * platform/ABI. We never want that: we require the binary ourselves and, on
 * failure, return null so the broker can log uwsLoadError() once and use the
 * `ws` transport instead. Which transport to use is the broker's decision;
 * this module only loads.
 */

import type * as uws from 'uWebSockets.js';
import { createRequire } from 'node:module';

export type UwsModule = typeof uws;

type LoadResult = { module: UwsModule; error?: undefined } | { module: null; error: string };

let cached: LoadResult | undefined;

/** Module id of the binary for this process: platform, arch and Node ABI. */
export function uwsBinaryId(): string {
  const { platform, arch } = process;
  return `uWebSockets.js/binaries/uws_${platform}_${arch}_${process.versions.modules}.node`;
}

function load(): LoadResult {
  const id = uwsBinaryId();
  try {
    const required = createRequire(import.meta.url)(id) as Partial<UwsModule> | null;
    if (!required || typeof required.App !== 'function') {
      return { module: null, error: `${id} loaded but does not export App()` };
    }
    return { module: required as UwsModule };
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { module: null, error: `cannot load native uWebSockets.js (${id}): ${reason}` };
  }
}

/** The native module, or null when this platform/Node ABI has no working binary. Cached. */
export function loadUws(): UwsModule | null {
  cached ??= load();
  return cached.module;
}

/** Why loadUws() returned null (one line); undefined when it loaded or was not tried yet. */
export function uwsLoadError(): string | undefined {
  return cached?.error;
}
