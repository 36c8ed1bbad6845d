/**
 * Property-based fuzzing of sessions end to end: random sequences of valid-ish
 * and byte-mutated client frames over a raw TCP socket to a real in-process
 * broker. Whatever is sent, the broker answers with a valid frame sequence
 * (CONNECTED first, then MESSAGE/RECEIPT, at most one ERROR and then the
 * close), never says "internal error", logs no error, throws nothing uncaught,
 * leaves no session behind, and a fresh client can still CONNECT and
 * round-trip a message after every case.
 *
 * Two properties: a fresh broker per case (failures replay exactly), and one
 * broker shared by every case (state left behind by one case meets the next).
 * Budgets: see fuzz-config.ts (FUZZ_SESSION_RUNS; `npm run fuzz` runs many more).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpStompClient } from '../helpers/raw-client.js';
import { params, runAsyncProperty, SESSION_RUNS, testTimeout, timeBudget } from './fuzz-config.js';
import { type SessionCase, sessionCase } from './session-arbitraries.js';
import {
  CrashWatch,
  checkCase,
  type FuzzBroker,
  STALL_MS,
  StallWatch,
  startFuzzBroker,
} from './session-harness.js';

const BUDGET_MS = 7_000;

describe('session fuzzing against a live broker (fast-check)', () => {
  const watch = new CrashWatch();
  beforeAll(() => watch.install());
  afterAll(() => watch.uninstall());

  it(
    'a fresh broker per case',
    async () => {
      await runAsyncProperty(
        'session: fresh broker',
        fc.asyncProperty(sessionCase, async (c: SessionCase) => {
          const fb = await startFuzzBroker();
          try {
            await checkCase(fb, c, watch);
          } finally {
            await fb.close();
          }
        }),
        params(SESSION_RUNS, timeBudget(BUDGET_MS)),
      );
    },
    testTimeout(BUDGET_MS),
  );

  describe('one broker for every case', () => {
    let fb: FuzzBroker;
    beforeAll(async () => {
      fb = await startFuzzBroker();
    });
    afterAll(async () => {
      await fb?.close();
    });

    it(
      'keeps serving while cases leave state behind',
      async () => {
        await runAsyncProperty(
          'session: shared broker',
          fc.asyncProperty(sessionCase, (c: SessionCase) => checkCase(fb, c, watch)),
          params(Math.ceil(SESSION_RUNS / 2), timeBudget(BUDGET_MS)),
        );
      },
      testTimeout(BUDGET_MS),
    );
  });
});

/**
 * The smallest conversations that showed a bug while fuzzing, kept as plain
 * tests so that each finding fails on its own, with its own name, until fixed.
 */
describe('minimal reproductions of fuzz findings', () => {
  it('a selector nested 4000 parentheses deep is refused as a bad selector, not an internal error', async () => {
    const fb = await startFuzzBroker();
    const client = new TcpStompClient('127.0.0.1', fb.port, 'deep-selector');
    try {
      await client.opened;
      await client.connect({ 'accept-version': '1.2' });
      // 8003 characters: within the default maxHeaderLineLength (8 KiB).
      const selector = `${'('.repeat(4000)}a = 1${')'.repeat(4000)}`;
      client.send('SUBSCRIBE', { destination: '/queue/q', id: '0', selector, receipt: 'r' });
      const reply = await client.waitForFrame(() => true, 'RECEIPT or ERROR');
      const errors = fb.logs.filter((l) => l.level >= 50).map((l) => l.line.slice(0, 300));
      expect(errors.join('\n'), 'nothing logged as a broker failure').toBe('');
      if (reply.command === 'ERROR') expect(reply.headers.message).not.toBe('internal error');
    } finally {
      client.destroy();
      await fb.close();
    }
  });

  it("one client's LIKE selector does not stall the broker for everyone", async () => {
    const fb = await startFuzzBroker();
    const subscriber = new TcpStompClient('127.0.0.1', fb.port, 'like-subscriber');
    const publisher = new TcpStompClient('127.0.0.1', fb.port, 'like-publisher');
    try {
      await Promise.all([subscriber.opened, publisher.opened]);
      await subscriber.connect({ 'accept-version': '1.2' });
      await publisher.connect({ 'accept-version': '1.2' });
      await subscriber.subscribe('/topic/like', '0', { selector: "b LIKE '%%%%c'" });
      const stall = new StallWatch();
      const started = Date.now();
      try {
        // 300 bytes of header: one message, one evaluation.
        await publisher.publish('/topic/like', 'x', { b: 'a'.repeat(300) });
      } finally {
        stall.stop();
      }
      const ms = Date.now() - started;
      expect(
        stall.maxGapMs,
        `event loop blocked ${stall.maxGapMs} ms (SEND→RECEIPT ${ms} ms) by one selector evaluation`,
      ).toBeLessThan(STALL_MS);
    } finally {
      subscriber.destroy();
      publisher.destroy();
      await fb.close();
    }
  }, 60_000);
});
