import { describe, expect, it } from 'vitest';
import {
  createLogger,
  formatLine,
  LimitBreachLog,
  logAdminAction,
} from '../../server/src/logger.js';

function capture(pretty = false) {
  const lines: string[] = [];
  const logger = createLogger('info', {
    destination: { write: (l: string) => lines.push(l) },
    pretty,
  });
  return { logger, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger', () => {
  it('writes JSON lines by default when given a destination', () => {
    const { logger, json } = capture();
    logger.info({ session: 's-1' }, 'hello');
    expect(json()).toEqual([
      expect.objectContaining({ level: 30, name: 'stompede', session: 's-1', msg: 'hello' }),
    ]);
  });

  it('pretty mode writes readable lines: time, level, message, key=value', () => {
    const { logger, lines } = capture(true);
    logger.warn({ limit: 'limits.maxFrameSize', breaches: 3, note: 'two words' }, 'limit breached');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}limit breached limit=limits\.maxFrameSize breaches=3 note="two words"\n$/,
    );
  });

  it('formatLine passes non-JSON through and shows objects as JSON', () => {
    expect(formatLine('not json')).toBe('not json');
    expect(formatLine('{"level":50,"time":0,"msg":"x","err":{"a":1}}')).toBe(
      '00:00:00.000 ERROR x err={"a":1}',
    );
  });

  it('logAdminAction writes one admin.action line with who, what and on what', () => {
    const { logger, json } = capture();
    logAdminAction(logger, {
      user: 'carol',
      action: 'purge',
      target: '/queue/orders',
      removed: 12,
    });
    logAdminAction(logger, {
      user: 'dave',
      action: 'delete-destination',
      target: '/queue/x',
      ok: false,
      error: 'not authorized',
    });
    expect(json()).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'admin action',
        event: 'admin.action',
        user: 'carol',
        action: 'purge',
        target: '/queue/orders',
        ok: true,
        removed: 12,
      }),
      expect.objectContaining({ user: 'dave', ok: false, error: 'not authorized' }),
    ]);
  });

  it('LimitBreachLog logs the first breach of a limit, then at most one line per interval per limit', () => {
    const { logger, json } = capture();
    // An interval no test run reaches: everything after the first line of each limit is held back.
    const log = new LimitBreachLog(logger, 3_600_000);
    for (let i = 0; i < 100; i++) log.report('limits.maxFrameSize');
    log.report('limits.maxConnections', { remoteAddress: '10.0.0.1' });
    expect(json()).toEqual([
      expect.objectContaining({ event: 'limit.breach', limit: 'limits.maxFrameSize', breaches: 1 }),
      expect.objectContaining({
        limit: 'limits.maxConnections',
        breaches: 1,
        remoteAddress: '10.0.0.1',
      }),
    ]);
  });

  it('LimitBreachLog: the next line counts the breaches held back since the last one', () => {
    const { logger, json } = capture();
    const log = new LimitBreachLog(logger, 0);
    log.report('limits.maxHeaders');
    log.report('limits.maxHeaders');
    expect(json().map((l) => l.breaches)).toEqual([1, 1]);
    const held = new LimitBreachLog(logger, 3_600_000);
    held.report('x');
    held.report('x');
    held.report('x');
    expect(json()).toHaveLength(3);
  });
});
