/**
 * The browser bundle (client/dist/stompede.iife.js, made by `npm run build`):
 * one classic script that defines the global `Stompede` and works with the
 * page's WebSocket and nothing else.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type * as ClientModule from '../../../client/src/index.js';
import { TestBroker, unique } from './support.js';

const clientDir = join(import.meta.dirname, '..', '..', '..', 'client');
const bundlePath = join(clientDir, 'dist', 'stompede.iife.js');

function loadBundle(): { Stompede?: typeof ClientModule } {
  // `npm run build` makes it; build it here when the tests run on a fresh checkout.
  if (!existsSync(bundlePath)) execFileSync(process.execPath, [join(clientDir, 'build.mjs')]);
  // A browser-like global: WebSocket and the timer/encoding APIs, no `require`, no `process`.
  const context = vm.createContext({
    WebSocket,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    TextEncoder,
    TextDecoder,
    console,
  });
  vm.runInContext(readFileSync(bundlePath, 'utf8'), context, { filename: 'stompede.iife.js' });
  return context as { Stompede?: typeof ClientModule };
}

describe('stompede-client IIFE bundle', () => {
  it('is one self-contained script with a banner', () => {
    loadBundle();
    const source = readFileSync(bundlePath, 'utf8');
    expect(source.startsWith('/*! stompede-client')).toBe(true);
    expect(source).not.toMatch(/\brequire\(/);
    expect(source).not.toMatch(/^import\s|^export\s/m);
    expect(source.length).toBeLessThan(80 * 1024);
  });

  it('defines the Stompede global, which talks to a real broker', async () => {
    const { Stompede } = loadBundle();
    expect(Stompede).toBeDefined();
    expect(typeof Stompede!.connect).toBe('function');
    expect(typeof Stompede!.StompedeClient).toBe('function');
    expect(Stompede!.DEFAULTS.reconnect.initialDelayMs).toBe(500);

    const broker = await TestBroker.start();
    const client = await Stompede!.connect({ url: broker.url, heartbeat: 0 });
    try {
      const topic = `/topic/${unique('iife')}`;
      const got = new Promise<unknown>((resolve) =>
        client.subscribe(topic, (m) => resolve(m.body)),
      );
      await client.publish(topic, { from: 'the bundle' }, { receipt: true });
      expect(await got).toEqual({ from: 'the bundle' });
    } finally {
      await client.close();
    }
  });
});
