#!/usr/bin/env node
/**
 * The broker under test, in its own process. Usage (normally forked by run.mjs,
 * with --expose-gc): node bench/broker-process.mjs '<json config overrides>'
 *
 * Prints `BENCH-LISTENING {"tcp":{...},"ws":{...},"wsTransport":...}` once
 * listening (or `BENCH-LISTENING {"error":true,...}` if the config is refused,
 * e.g. store 'lmdb' before it exists) and answers IPC stats/gc/close requests.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { announce, announceError, serveIpc } from './lib/server-child.mjs';

const distUrl = new URL('../server/dist/index.js', import.meta.url);

async function main() {
  const overrides = JSON.parse(process.argv[2] ?? '{}');
  let mod;
  try {
    mod = await import(distUrl.href);
  } catch (err) {
    announceError(
      new Error(
        `cannot load the built broker at ${fileURLToPath(distUrl)} (run \`npm run build\` first): ${err.message}`,
      ),
    );
    process.exit(2);
  }
  let broker;
  try {
    // Explicit store: the broker's default (lmdb in ./data) must never be picked up by accident.
    const config = {
      host: '127.0.0.1',
      tcpPort: 0,
      wsPort: 0,
      logLevel: 'silent',
      store: 'memory',
      ...overrides,
    };
    if (config.store !== 'memory' && !config.dataDir) {
      config.dataDir = mkdtempSync(join(tmpdir(), 'stompede-bench-'));
    }
    broker = mod.createBroker(config);
  } catch (err) {
    announceError(err);
    process.exit(2);
  }
  let addresses;
  try {
    addresses = await broker.listen();
  } catch (err) {
    announceError(err);
    process.exit(2);
  }
  serveIpc({
    // Hook for the persistence work: whichever of these exists first is reported.
    extra: () => {
      let storeStats = null;
      try {
        storeStats =
          broker.storeStats?.() ??
          broker.store?.stats?.() ??
          broker.broker?.store?.stats?.() ??
          null;
      } catch (err) {
        storeStats = { error: String(err?.message ?? err) };
      }
      let brokerStats = null;
      try {
        brokerStats = broker.broker?.stats?.() ?? null;
      } catch {}
      // The start-up scenario checks that every stored message was recovered.
      const startupQueue = broker.broker?.queueInfo?.('bench-startup') ?? null;
      return { storeStats, brokerStats, connections: broker.connectionCount, startupQueue };
    },
    close: () => broker.close(),
  });
  announce({ tcp: addresses.tcp, ws: addresses.ws, wsTransport: addresses.wsTransport });
}

main().catch((err) => {
  announceError(err);
  process.exit(2);
});
