import { describe, expect, it } from 'vitest';
import { type Consumer, Subscription } from '../../../server/src/broker/subscription.js';
import { SubscriptionTable } from '../../../server/src/session/subscription-table.js';

const consumer: Consumer = { ownerId: 'c1', ready: true, deliver: () => {} };

function subscription(id: string, handle: number): Subscription {
  return new Subscription({
    id,
    handle,
    destination: `/topic/${id}`,
    ackMode: 'auto',
    prefetch: 1,
    consumer,
  });
}

describe('SubscriptionTable', () => {
  it('finds its only subscription by id and by handle, and nothing else', () => {
    const table = new SubscriptionTable();
    expect(table.size).toBe(0);
    expect(table.values()).toEqual([]);
    const a = subscription('a', 1);
    table.add(a);
    expect(table.size).toBe(1);
    expect(table.get('a')).toBe(a);
    expect(table.has('a')).toBe(true);
    expect(table.withHandle(1)).toBe(a);
    expect(table.get('b')).toBeUndefined();
    expect(table.has('b')).toBe(false);
    expect(table.withHandle(2)).toBeUndefined();
    expect(table.values()).toEqual([a]);
  });

  it('keeps every subscription reachable as it grows past one and shrinks back', () => {
    const table = new SubscriptionTable();
    const subs = [subscription('a', 1), subscription('b', 2), subscription('c', 3)];
    for (const s of subs) table.add(s);
    expect(table.size).toBe(3);
    for (const s of subs) {
      expect(table.get(s.id)).toBe(s);
      expect(table.withHandle(s.handle)).toBe(s);
    }
    expect(new Set(table.values())).toEqual(new Set(subs));

    table.remove(subs[0]!);
    expect(table.size).toBe(2);
    expect(table.get('a')).toBeUndefined();
    expect(table.withHandle(1)).toBeUndefined();

    table.remove(subs[2]!);
    expect(table.size).toBe(1);
    expect(table.get('b')).toBe(subs[1]);
    expect(table.withHandle(2)).toBe(subs[1]);
    expect(table.get('c')).toBeUndefined();
    expect(table.values()).toEqual([subs[1]]);

    // Growing again after shrinking keeps the one already there.
    const d = subscription('d', 4);
    table.add(d);
    expect(table.get('b')).toBe(subs[1]);
    expect(table.withHandle(4)).toBe(d);
    expect(table.size).toBe(2);
  });

  it('removes only the very subscription it is given', () => {
    const table = new SubscriptionTable();
    const a = subscription('a', 1);
    table.add(a);
    table.remove(subscription('a', 9));
    expect(table.get('a')).toBe(a);
    table.add(subscription('b', 2));
    table.remove(subscription('b', 7));
    expect(table.size).toBe(2);
    table.remove(a);
    expect(table.size).toBe(1);
    expect(table.get('a')).toBeUndefined();
  });

  it('values() is a snapshot the caller may change the table under', () => {
    const table = new SubscriptionTable();
    const subs = [subscription('a', 1), subscription('b', 2), subscription('c', 3)];
    for (const s of subs) table.add(s);
    const seen: string[] = [];
    for (const s of table.values()) {
      seen.push(s.id);
      table.remove(s);
    }
    expect(seen.sort()).toEqual(['a', 'b', 'c']);
    expect(table.size).toBe(0);
  });

  it('drain() hands back everything and leaves the table empty', () => {
    const table = new SubscriptionTable();
    const subs = [subscription('a', 1), subscription('b', 2)];
    for (const s of subs) table.add(s);
    expect(new Set(table.drain())).toEqual(new Set(subs));
    expect(table.size).toBe(0);
    expect(table.get('a')).toBeUndefined();
    expect(table.withHandle(2)).toBeUndefined();
    const single = new SubscriptionTable();
    single.add(subs[0]!);
    expect(single.drain()).toEqual([subs[0]]);
    expect(single.size).toBe(0);
  });
});
