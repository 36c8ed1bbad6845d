/**
 * End-to-end support: the system Chromium (Debian package `chromium`, driven
 * by playwright-core), an in-process broker serving demo/public with the
 * demo's config, and a Node publisher.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createBroker } from '../../server/src/index.js';
import { type StompJsHandle, startStompJs } from '../helpers/stompjs.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-artifacts');
export const IIFE_BUNDLE = join(ROOT, 'client', 'dist', 'stompede.iife.js');
export const VENDOR_BUNDLE = join(ROOT, 'demo', 'public', 'vendor', 'stompede.iife.js');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Keep timers and animation frames running in pages that are not in front.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/**
 * Why the e2e tests cannot run here, or null when Chromium is there. As root
 * a missing Chromium is installed first (scripts/ensure-system-deps.mjs, which
 * `npm test` has normally run already).
 */
export function chromiumUnavailable(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) {
    spawnSync(process.execPath, [join(ROOT, 'scripts', 'ensure-system-deps.mjs')], {
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 600_000,
    });
    if (existsSync(CHROMIUM)) return null;
    return `${CHROMIUM} is missing and installing the Debian package chromium failed`;
  }
  return (
    `${CHROMIUM} is missing and cannot be installed without root: ` +
    'run `sudo apt-get install -y --no-install-recommends chromium` to run the e2e tests'
  );
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/**
 * Put the client bundle where the demo loads it (what `npm run build -w demo`
 * does), so the tests also work right after building only the client.
 * Returns whether /vendor/stompede.iife.js is there.
 */
export function ensureVendorBundle(): boolean {
  if (existsSync(IIFE_BUNDLE)) {
    mkdirSync(dirname(VENDOR_BUNDLE), { recursive: true });
    copyFileSync(IIFE_BUNDLE, VENDOR_BUNDLE);
  }
  spawnSync(process.execPath, [join(ROOT, 'demo', 'build.mjs')], { stdio: 'ignore' });
  return existsSync(VENDOR_BUNDLE);
}

export interface DemoBroker {
  port: number;
  /** http://127.0.0.1:PORT */
  origin: string;
  /** ws://127.0.0.1:PORT/stomp */
  wsUrl: string;
  close(): Promise<void>;
}

/**
 * The broker as the demo README runs it: demo/stompede.demo.json, in memory,
 * on an ephemeral port (or `port`, to restart one).
 */
export async function startDemoBroker(
  port = 0,
  wsTransport: 'uws' | 'ws' = 'uws',
): Promise<DemoBroker> {
  const demoConfig = JSON.parse(readFileSync(join(ROOT, 'demo', 'stompede.demo.json'), 'utf8'));
  const broker = createBroker({
    ...demoConfig,
    host: '127.0.0.1',
    wsPort: port,
    wsTransport,
    tcpPort: null,
    store: 'memory',
    logLevel: 'silent',
    demoDir: join(ROOT, 'demo', 'public'),
  });
  const { ws } = await broker.listen();
  const bound = ws!.port;
  return {
    port: bound,
    origin: `http://127.0.0.1:${bound}`,
    wsUrl: `ws://127.0.0.1:${bound}/stomp`,
    close: () => broker.close(),
  };
}

/** A Node-side STOMP client (@stomp/stompjs over ws) for publishing. */
export function nodePublisher(wsUrl: string): Promise<StompJsHandle> {
  return startStompJs(wsUrl);
}

/** Poll `check` (in Node) until it returns a truthy value. */
export async function until<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`,
  );
}

/** Save a screenshot under test-artifacts/, and under docs/ too when STOMPEDE_UPDATE_DOCS=1. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  if (process.env.STOMPEDE_UPDATE_DOCS === '1') {
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    copyFileSync(path, join(ROOT, 'docs', `${name}.png`));
  }
  return path;
}

/** Console errors and page errors, so a failing test says what the page said. */
export function collectPageErrors(page: Page, label: string): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`${label}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${label}: console: ${msg.text()}`);
  });
  return errors;
}
