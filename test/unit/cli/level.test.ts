import { describe, expect, it } from 'vitest';
import { detectLevel, type Level } from '../../../server/src/cli/level.js';

const CASES: Array<[string, Level | undefined]> = [
  // JSON: level / severity fields, words and numbers
  ['{"level":"info","msg":"started"}', 'INFO'],
  ['{"level":"WARNING","msg":"x"}', 'WARN'],
  ['{"severity":"ERROR","message":"x"}', 'ERROR'],
  ['{"severity":"critical"}', 'FATAL'],
  ['{"levelname":"DEBUG","name":"py"}', 'DEBUG'],
  ['{"log.level":"warn","ecs":true}', 'WARN'],
  ['{"log":{"level":"error"}}', 'ERROR'],
  ['{"level":"30"}', 'INFO'],
  // pino / bunyan numbers
  ['{"level":10,"msg":"x"}', 'TRACE'],
  ['{"level":20,"msg":"x"}', 'DEBUG'],
  ['{"level":30,"msg":"x"}', 'INFO'],
  ['{"level":40,"msg":"x"}', 'WARN'],
  ['{"level":50,"msg":"x"}', 'ERROR'],
  ['{"level":60,"msg":"x"}', 'FATAL'],
  ['{"level":35}', 'INFO'],
  // numeric syslog severity in JSON
  ['{"severity":3}', 'ERROR'],
  // JSON without a level; not a JSON object after all
  ['{"msg":"ERROR in the message does not count"}', undefined],
  ['{not json} ERROR here', 'ERROR'],
  // words near the start
  ['2024-05-01T12:00:00.000Z INFO server started', 'INFO'],
  ['2024-05-01 12:00:00,123 - app.db - WARNING - pool at 90%', 'WARN'],
  ['12:00:00.123 [main] ERROR c.e.App - failed', 'ERROR'],
  ['[2024-05-01 12:00:00] DEBUG cache miss', 'DEBUG'],
  ['[TRACE] entering f()', 'TRACE'],
  ['FATAL: out of memory', 'FATAL'],
  ['CRITICAL something broke', 'FATAL'],
  ['error: cannot open file', 'ERROR'],
  ['warn: slow query', 'WARN'],
  ['2024/05/01 12:00:00 [error] 1234#0: upstream timed out', 'ERROR'],
  ['[Wed May 01 12:00:00 2024] [core:warn] [pid 42] AH00111', 'WARN'],
  ['Jan  1 00:00:00 host app[123]: ERROR disk full', 'ERROR'],
  ['time=2024-05-01T12:00:00Z level=warning msg="slow"', 'WARN'],
  ['ts=1 level="error" msg=x', 'ERROR'],
  // syslog <PRI>: severity = PRI % 8
  ['<0>kernel panic', 'FATAL'],
  ['<11>May  1 12:00:00 host app: x', 'ERROR'],
  ['<12>May  1 12:00:00 host app: x', 'WARN'],
  ['<13>1 2024-05-01T12:00:00Z host app - - - notice', 'INFO'],
  ['<14>May  1 12:00:00 host app: x', 'INFO'],
  ['<15>May  1 12:00:00 host app: x', 'DEBUG'],
  ['<34>Oct 11 22:14:15 mymachine su: failed for lonvick', 'FATAL'],
  ['<999>not a priority INFO', 'INFO'],
  // nothing to go on, or a level word too far in / in prose
  ['plain message', undefined],
  ['', undefined],
  ['the user reported an error with the form', undefined],
  ['one two three four five six seven eight nine ERROR', undefined],
  ['Information is power', undefined],
];

describe('detectLevel', () => {
  it.each(CASES)('%j → %s', (line, level) => {
    expect(detectLevel(line)).toBe(level);
  });
});
