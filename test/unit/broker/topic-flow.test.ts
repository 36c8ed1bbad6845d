/** TopicFlow: the x-max-rate budget, x-conflate-key holding, and loss reports. */
import { describe, expect, it } from 'vitest';
import { createMessage, type Message } from '../../../server/src/broker/message.js';
import {
  MAX_CONFLATION_KEYS,
  MESSAGES_DROPPED,
  TopicFlow,
} from '../../../server/src/broker/topic-flow.js';
import { Counters } from '../../../server/src/counters.js';
import { createHeaders } from '../../../server/src/protocol/frame.js';

let seq = 1;
function message(headers: Record<string, string> = {}, bodyBytes = 0): Message {
  const n = seq++;
  const h = createHeaders();
  Object.assign(h, headers);
  return createMessage(`m${n}`, n, h, Buffer.alloc(bodyBytes));
}

function flow(maxRate: number, conflateKey = '', maxHeldBytes = 1 << 20) {
  const counters = new Counters();
  return { flow: new TopicFlow({ maxRate, conflateKey, maxHeldBytes, counters }), counters };
}

describe('TopicFlow rate budget', () => {
  it('starts with one second of budget and refills in proportion to the time passed, capped at one second', () => {
    const { flow: f } = flow(4);
    const t0 = Date.now();
    expect([f.take(), f.take(), f.take(), f.take(), f.take()]).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
    f.refill(t0 + 500);
    expect([f.take(), f.take(), f.take()]).toEqual([true, true, false]);
    f.refill(t0 + 60_000);
    let n = 0;
    while (f.take()) n++;
    expect(n).toBe(4);
  });

  it('has no budget to spend without a rate', () => {
    const { flow: f } = flow(0, 'k');
    for (let i = 0; i < 1000; i++) expect(f.take()).toBe(true);
    expect(f.limited).toBe(true);
    expect(flow(0).flow.limited).toBe(false);
  });
});

describe('TopicFlow conflation', () => {
  it('keeps the newest message per key, in the order of their newest versions, and counts the replaced', () => {
    const { flow: f, counters } = flow(0, 'symbol');
    const a1 = message({ symbol: 'A' });
    const b1 = message({ symbol: 'B' });
    const a2 = message({ symbol: 'A' });
    const none = message();
    for (const m of [a1, b1, a2, none]) f.hold(m);
    expect(f.heldCount).toBe(3);
    expect([f.next(), f.next(), f.next(), f.next()]).toEqual([b1, a2, none, undefined]);
    expect(f.conflated).toBe(1);
    expect(counters.get(MESSAGES_DROPPED, { reason: 'conflated' })).toBe(1);
  });

  it('drops rather than hold more than its byte bound or MAX_CONFLATION_KEYS keys', () => {
    const { flow: f, counters } = flow(0, 'k', 3000);
    f.hold(message({ k: '1' }, 1000));
    f.hold(message({ k: '2' }, 1000));
    f.hold(message({ k: '3' }, 1000)); // over 3000 bytes with overheads
    expect(f.heldCount).toBe(2);
    expect(f.dropped).toBe(1);
    expect(counters.get(MESSAGES_DROPPED, { reason: 'conflation-overflow' })).toBe(1);
    // A newer version of a held key still replaces it.
    f.hold(message({ k: '1' }, 10));
    expect(f.heldCount).toBe(2);

    const { flow: many } = flow(0, 'k', 1 << 30);
    for (let i = 0; i <= MAX_CONFLATION_KEYS; i++) many.hold(message({ k: String(i) }));
    expect(many.heldCount).toBe(MAX_CONFLATION_KEYS);
    expect(many.dropped).toBe(1);
  });
});

describe('TopicFlow loss report', () => {
  it('reports drops and conflations once, as header lines, then starts again from zero', () => {
    const { flow: f, counters } = flow(1, 'k');
    expect(f.unreported).toBe(false);
    f.drop('max-rate');
    f.drop('max-rate');
    f.hold(message({ k: 'x' }));
    f.hold(message({ k: 'x' }));
    expect(f.unreported).toBe(true);
    expect(f.takeReport()).toBe('x-dropped:2\nx-conflated:1\n');
    expect(f.unreported).toBe(false);
    expect(f.takeReport()).toBe('');
    expect(counters.get(MESSAGES_DROPPED, { reason: 'max-rate' })).toBe(2);
  });
});
