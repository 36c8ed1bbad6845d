import { describe, expect, it } from 'vitest';
import { SessionError } from '../../../server/src/session/errors.js';
import { negotiateHeartBeat, parseHeartBeat } from '../../../server/src/session/heartbeat.js';

describe('heart-beat negotiation', () => {
  it('parses cx,cy and treats a missing header as 0,0', () => {
    expect(parseHeartBeat('100,200')).toEqual([100, 200]);
    expect(parseHeartBeat(' 0 , 5 ')).toEqual([0, 5]);
    expect(parseHeartBeat(undefined)).toEqual([0, 0]);
  });

  it.each(['', '10', 'a,b', '-1,0', '1,2,3', '1.5,2'])(
    'refuses the malformed value %j',
    (value) => {
      expect(() => parseHeartBeat(value)).toThrow(SessionError);
    },
  );

  it('uses the larger of the two sides when both want beats (STOMP 1.2)', () => {
    expect(negotiateHeartBeat([100, 300], 200, 50)).toEqual({
      sendEveryMs: 300,
      expectEveryMs: 100,
    });
    expect(negotiateHeartBeat([1000, 10], 200, 5000)).toEqual({
      sendEveryMs: 200,
      expectEveryMs: 5000,
    });
  });

  it('turns a direction off when either side says 0', () => {
    expect(negotiateHeartBeat([0, 0], 200, 200)).toEqual({ sendEveryMs: 0, expectEveryMs: 0 });
    expect(negotiateHeartBeat([100, 100], 0, 200)).toEqual({ sendEveryMs: 0, expectEveryMs: 200 });
    expect(negotiateHeartBeat([100, 100], 200, 0)).toEqual({ sendEveryMs: 200, expectEveryMs: 0 });
  });
});
