/**
 * The web console at /admin in headless Chromium against a real broker: the
 * tables follow real traffic live, the queue browser shows what was sent,
 * the frame tracer shows a connection's frames, and a broker with logins
 * asks for them.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createBroker } from '../../server/src/index.js';
import { TcpStompClient, uniqueName } from '../helpers/raw-client.js';
import { usersFile } from '../integration/security/auth-support.js';
import { chromiumUnavailable, collectPageErrors, launchChromium, ROOT, until } from './support.js';

vi.setConfig({ testTimeout: 90_000, hookTimeout: 60_000 });

const skipReason = chromiumUnavailable();
const ARTIFACT_DIR = mkdtempSync(join(tmpdir(), 'stompede-console-e2e-'));

interface RunningBroker {
  origin: string;
  producer: TcpStompClient;
  /** Another TCP client (opened, not CONNECTed), destroyed at test end. */
  client(label: string): Promise<TcpStompClient>;
}

async function startConsoleBroker(options: Record<string, unknown> = {}): Promise<RunningBroker> {
  const broker = createBroker({
    host: '127.0.0.1',
    wsPort: 0,
    tcpPort: 0,
    store: 'memory',
    logLevel: 'silent',
    ...options,
  });
  const { ws, tcp } = await broker.listen();
  onTestFinished(() => broker.close());
  const client = async (label: string) => {
    const c = new TcpStompClient('127.0.0.1', tcp!.port, label);
    onTestFinished(() => c.destroy());
    await c.opened;
    return c;
  };
  return { origin: `http://127.0.0.1:${ws!.port}`, producer: await client('producer'), client };
}

async function shoot(page: Page, name: string): Promise<string> {
  const path = join(ARTIFACT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  if (process.env.STOMPEDE_UPDATE_DOCS === '1') {
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    copyFileSync(path, join(ROOT, 'docs', `${name}.png`));
  }
  return path;
}

describe.skipIf(skipReason !== null)('web console (headless Chromium)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function openPage(): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    onTestFinished(() => context.close());
    const page = await context.newPage();
    return { page, errors: collectPageErrors(page, 'console') };
  }

  it('lists a queue, follows its depth live, and browses a message the test sent', async () => {
    const { origin, producer } = await startConsoleBroker();
    await producer.connect({ login: 'e2e-producer' });
    const name = uniqueName('orders');
    const queue = `/queue/${name}`;
    await producer.publish(queue, 'order #1: 2 × espresso', { 'content-type': 'text/plain' });
    await producer.publish(queue, 'order #2: 1 × croissant', { 'content-type': 'text/plain' });

    const { page, errors } = await openPage();
    await page.goto(`${origin}/admin/#/queues`);
    const depth = page.locator(`tr[data-key="${queue}"] td[data-col="depth"]`);
    await depth.filter({ hasText: /^2$/ }).waitFor({ timeout: 15_000 });

    // Messages sent while the page is open: the depth follows without a reload.
    for (let i = 3; i <= 5; i++) await producer.publish(queue, `order #${i}: 1 × tea`);
    await depth.filter({ hasText: /^5$/ }).waitFor({ timeout: 15_000 });
    expect(
      await page.locator(`tr[data-key="${queue}"] td[data-col="enqueued"]`).textContent(),
    ).toBe('5');

    // Sorting by depth, descending, puts the deepest queue first.
    await producer.publish(`/queue/${uniqueName('shallow')}`, 'x');
    await page.locator('th[data-col="depth"] button').click();
    await page.locator('th[data-col="depth"] button').click();
    await until(
      'the deepest queue first',
      async () => (await page.locator('tbody tr').first().getAttribute('data-key')) === queue,
    );

    await page.locator(`tr[data-key="${queue}"] a`, { hasText: queue }).click();
    const first = page.locator('#messages details.message').first();
    await first.waitFor({ timeout: 15_000 });
    expect(await first.locator('.body-preview').textContent()).toBe('order #1: 2 × espresso');
    await first.locator('summary').click();
    await expect.poll(() => first.locator('dl.headers').textContent()).toContain('text/plain');
    expect(await page.locator('#messages details.message').count()).toBe(5);
    await shoot(page, 'console-queue-browser');

    // Browsing consumed nothing: the queue still holds all five.
    await page.goto(`${origin}/admin/#/queues`);
    await depth.filter({ hasText: /^5$/ }).waitFor({ timeout: 15_000 });
    expect(errors).toEqual([]);
  });

  it('purges a queue after confirmation', async () => {
    const { origin, producer } = await startConsoleBroker();
    await producer.connect();
    const queue = `/queue/${uniqueName('purge-me')}`;
    for (let i = 0; i < 3; i++) await producer.publish(queue, `m${i}`);
    const { page, errors } = await openPage();
    await page.goto(`${origin}/admin/#/queues`);
    const row = page.locator(`tr[data-key="${queue}"]`);
    await row.locator('td[data-col="depth"]', { hasText: /^3$/ }).waitFor({ timeout: 15_000 });
    await row.locator('button', { hasText: 'Purge' }).click();
    await expect.poll(() => page.locator('#confirm-text').textContent()).toContain('3 waiting');
    await page.locator('#confirm-ok').click();
    await page.locator('.toast', { hasText: `Purged 3 message(s) from ${queue}` }).waitFor();
    // Empty now; an empty queue with no consumer is also forgotten by the broker, and its row goes.
    await until(
      'the queue to show empty',
      async () =>
        (await row.count()) === 0 ||
        (await row.locator('td[data-col="depth"]').textContent()) === '0',
      15_000,
    );
    expect(errors).toEqual([]);
  });

  it('traces a connection: its frames in and out, live', async () => {
    const { origin, producer } = await startConsoleBroker();
    await producer.connect({ login: 'tracy' });
    const { page, errors } = await openPage();
    await page.goto(`${origin}/admin/#/connections`);
    const link = page.locator('td[data-col="id"] a').first();
    await link.waitFor({ timeout: 15_000 });
    await link.click();
    await page.locator('button', { hasText: 'Start trace' }).click();
    await page.locator('.trace-state', { hasText: 'recording' }).waitFor({ timeout: 15_000 });
    const queue = `/queue/${uniqueName('traced')}`;
    await producer.publish(queue, 'watched body');
    const send = page.locator('#frames li.frame.in[data-command="SEND"]');
    await send.waitFor({ timeout: 15_000 });
    expect(await send.textContent()).toContain(queue);
    expect(await send.locator('.frame-body').textContent()).toContain('watched body');
    await page.locator('#frames li.frame.out[data-command="RECEIPT"]').waitFor({ timeout: 15_000 });
    await shoot(page, 'console-tracer');
    await page.locator('button', { hasText: 'Stop' }).click();
    await page.locator('.trace-state', { hasText: 'stopped' }).waitFor({ timeout: 15_000 });
    // Opening the view asks once for an existing trace; before "Start trace" the API answers 404.
    expect(errors.filter((e) => !e.includes('status of 404'))).toEqual([]);
    expect(errors.length).toBeLessThanOrEqual(1);
  });

  it('asks for credentials when the broker needs them, then shows the overview', async () => {
    const file = await usersFile({ ops: ['console-pass', ['monitor']] });
    const { origin } = await startConsoleBroker({
      auth: { usersFile: file, throttle: { baseMs: 0 } },
    });
    const { page } = await openPage();
    await page.goto(`${origin}/admin/#/overview`);
    await page.locator('form.login').waitFor({ timeout: 15_000 });
    await page.locator('input[name="user"]').fill('ops');
    await page.locator('input[name="password"]').fill('console-pass');
    await page.locator('form.login button[type="submit"]').click();
    await page.locator('.stat', { hasText: 'Connections' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('#logout').isVisible()).toBe(true);
  });

  it('overview: live rate chart and counters while traffic flows (the docs screenshot)', async () => {
    const { origin, producer, client } = await startConsoleBroker();
    await producer.connect({ login: 'shop' });
    const queues = ['/queue/orders.eu', '/queue/orders.us', '/queue/payments', '/queue/emails'];
    const watcher = await client('dashboard');
    await watcher.connect({ login: 'dashboard' });
    await watcher.subscribe('/topic/prices.eu', 'prices');
    const { page, errors } = await openPage();
    await page.goto(`${origin}/admin/#/overview`);
    await page.locator('.stat', { hasText: 'Published' }).waitFor({ timeout: 15_000 });
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < 6000) {
      const to =
        sent % 2 === 0 ? '/topic/prices.eu' : queues[(sent >> 1) % (1 + ((sent >> 4) % 4))]!;
      await producer.publish(to, `tick ${sent}`);
      sent++;
      if (sent % 20 === 0) await new Promise((r) => setTimeout(r, 100));
    }
    await until(
      'the published counter to reach what was sent',
      async () => {
        const text =
          (await page
            .locator('.stat', { hasText: 'Published' })
            .locator('.stat-value')
            .textContent()) ?? '';
        return Number(text.replace(/\D/g, '')) === sent;
      },
      15_000,
    );
    await page.waitForTimeout(300);
    await shoot(page, 'console');
    expect(errors).toEqual([]);
  });
});
