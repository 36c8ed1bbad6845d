import { describe, expect, it } from 'vitest';
import { resolveDestination } from '../../../server/src/broker/destination.js';
import { BrokerError } from '../../../server/src/broker/errors.js';

describe('resolveDestination', () => {
  it.each([
    ['/topic/prices', 'topic', 'prices'],
    ['/queue/orders', 'queue', 'orders'],
    ['/temp-queue/replies', 'temp-queue', 'replies'],
    ['/temp-topic/events', 'temp-topic', 'events'],
    ['/amq/queue/orders', 'queue', 'orders'],
    ['/exchange/amq.topic/prices.eu', 'topic', 'prices.eu'],
    ['/reply-queue/abc.replies', 'reply-queue', 'abc.replies'],
  ])('resolves %s to %s %s', (destination, kind, name) => {
    expect(resolveDestination(destination)).toEqual({ kind, name, key: '' });
  });

  it.each([
    ['/exchange/logs', 'logs', ''],
    ['/exchange/topic_logs/kern.*', 'topic_logs', 'kern.*'],
    ['/exchange/x/a/b', 'x', 'a/b'],
  ])('resolves the RabbitMQ exchange form %s', (destination, name, key) => {
    expect(resolveDestination(destination)).toEqual({ kind: 'exchange', name, key });
  });

  it.each(['orders', '/foo/bar', '/topic/', '/queue/', '/exchange/', '/exchange//k'])(
    'refuses %s with a readable error',
    (d) => {
      let error: unknown;
      try {
        resolveDestination(d);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(BrokerError);
      expect((error as BrokerError).detail).toMatch(/\/topic\/NAME|\/exchange\/NAME/);
    },
  );
});
