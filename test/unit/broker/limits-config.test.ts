/** Config of the limits, queue depth policy and slow-consumer policy. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from '../../../server/src/config.js';

describe('limits and slow-consumer config', () => {
  it('has a default for every new limit', () => {
    expect(DEFAULT_CONFIG.limits).toMatchObject({
      maxConnections: 100_000,
      maxConnectionsPerIp: 10_000,
      maxInboundFramesPerSecond: expect.any(Number),
      maxInboundBytesPerSecond: expect.any(Number),
      maxHistoryMessages: expect.any(Number),
    });
    expect(DEFAULT_CONFIG.slowConsumers).toEqual({
      topicPolicy: 'drop',
      maxBufferedBytes: 8 * 1024 * 1024,
    });
    expect(DEFAULT_CONFIG.destinationDefaults).toMatchObject({ maxDepth: 0, overflow: 'refuse' });
  });

  it('takes queue depth per destination rule', () => {
    const config = resolveConfig({
      destinations: [{ match: '/queue/q.>', maxDepth: 10, overflow: 'drop-oldest' }],
    });
    expect(config.destinations[0]).toMatchObject({ maxDepth: 10, overflow: 'drop-oldest' });
  });

  it.each([
    [{ slowConsumers: { topicPolicy: 'pause' } }, /slowConsumers.topicPolicy/],
    [{ slowConsumers: { maxBufferedBytes: 0 } }, /slowConsumers.maxBufferedBytes/],
    [{ limits: { maxConnectionsPerIp: 0 } }, /limits.maxConnectionsPerIp/],
    [{ limits: { maxInboundFramesPerSecond: 1.5 } }, /limits.maxInboundFramesPerSecond/],
    [{ destinationDefaults: { maxDepth: -1 } }, /destinationDefaults.maxDepth/],
    [{ destinations: [{ match: '/queue/a', overflow: 'block' }] }, /destinations\[0\].overflow/],
    [
      { destinations: [{ match: '/topic/a', historyMaxMessages: 200_000 }] },
      /destinations\[0\].historyMaxMessages \(200000\) exceeds limits.maxHistoryMessages/,
    ],
  ])('rejects %j naming the key', (overrides, pattern) => {
    expect(() => resolveConfig(overrides as Parameters<typeof resolveConfig>[0])).toThrow(pattern);
  });
});
