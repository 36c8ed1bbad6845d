import { describe, expect, it } from 'vitest';
import { resolveDestination } from '../../../server/src/broker/destination.js';
import { BrokerError } from '../../../server/src/broker/errors.js';

describe('resolveDestination', () => {
  it.each([
    ['/topic/prices', 'topic', 'prices'],
    ['/queue/orders', 'queue', 'orders'],
    ['/temp-queue/replies', 'temp-queue', 'replies'],
    ['/amq/queue/orders', 'queue', 'orders'],
    ['/exchange/amq.topic/prices.eu', 'topic', 'prices.eu'],
  ])('resolves %s to %s %s', (destination, kind, name) => {
    expect(resolveDestination(destination)).toEqual({ kind, name });
  });

  it.each(['orders', '/foo/bar', '/topic/', '/queue/', '/exchange/logs/x'])(
    'refuses %s with a readable error',
    (d) => {
      let error: unknown;
      try {
        resolveDestination(d);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(BrokerError);
      expect((error as BrokerError).detail).toMatch(/\/topic\/NAME/);
    },
  );
});
