import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../../server/src/auth/index.js';

const OPTIONS = { baseMs: 100, maxMs: 1000, halfLifeMs: 60_000, maxAddresses: 3 };

describe('LoginThrottle', () => {
  it('lets the first failure through, then doubles the delay up to the cap', () => {
    const throttle = new LoginThrottle(OPTIONS);
    const t = 1_000_000;
    const delays = [0, 1, 2, 3, 4, 5, 6].map((i) => throttle.failure('10.0.0.1', t + i));
    expect(delays[0]).toBe(0);
    expect(delays[1]).toBeGreaterThanOrEqual(99);
    expect(delays[1]).toBeLessThanOrEqual(100);
    expect(delays[2]).toBeGreaterThanOrEqual(198);
    expect(delays[3]).toBeGreaterThanOrEqual(396);
    expect(delays[4]).toBeGreaterThanOrEqual(790);
    expect(delays[5]).toBe(1000);
    expect(delays[6]).toBe(1000);
  });

  it('keeps addresses apart', () => {
    const throttle = new LoginThrottle(OPTIONS);
    throttle.failure('10.0.0.1', 0);
    throttle.failure('10.0.0.1', 0);
    expect(throttle.failure('10.0.0.2', 0)).toBe(0);
  });

  it('forgets gradually: the count halves every half-life', () => {
    const throttle = new LoginThrottle(OPTIONS);
    for (let i = 0; i < 4; i++) throttle.failure('a', 0);
    expect(throttle.recent('a', 0)).toBe(4);
    expect(throttle.recent('a', 60_000)).toBeCloseTo(2);
    expect(throttle.recent('a', 180_000)).toBeCloseTo(0.5);
    // Long after, a failure is treated as a first one again.
    expect(throttle.failure('a', 600_000)).toBe(0);
  });

  it('remembers at most maxAddresses, dropping the least recently failing', () => {
    const throttle = new LoginThrottle(OPTIONS);
    for (const address of ['a', 'b', 'c', 'd', 'e']) throttle.failure(address, 0);
    expect(throttle.size).toBe(3);
    expect(throttle.recent('a', 0)).toBe(0);
    expect(throttle.recent('e', 0)).toBe(1);
  });
});
