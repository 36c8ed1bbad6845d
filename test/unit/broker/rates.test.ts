import { describe, expect, it } from 'vitest';
import { RateRing } from '../../../server/src/broker/rates.js';

describe('RateRing', () => {
  it('is 0 until it has two samples', () => {
    const ring = new RateRing(4);
    expect(ring.perSecond()).toBe(0);
    ring.push(1000, 10);
    expect(ring.perSecond()).toBe(0);
  });

  it('averages over the span of the samples it holds, oldest forgotten first', () => {
    const ring = new RateRing(3);
    ring.push(0, 0);
    ring.push(1000, 10);
    expect(ring.perSecond()).toBe(10);
    ring.push(2000, 40);
    expect(ring.perSecond()).toBe(20); // 40 over 2 s
    ring.push(3000, 40);
    expect(ring.perSecond()).toBe(15); // oldest is now (1000, 10): 30 over 2 s
    expect(ring.series()).toEqual([30, 0]);
  });

  it('reads a counter that went down (a reset) as no traffic rather than a negative rate', () => {
    const ring = new RateRing(2);
    ring.push(0, 100);
    ring.push(1000, 5);
    expect(ring.perSecond()).toBe(0);
  });
});
