import { describe, expect, it } from 'vitest';
import {
  decodeClusterMessage,
  encodeClusterMessage,
} from '../../../server/src/cluster/envelope.js';
import { globOf } from '../../../server/src/cluster/topic-bus.js';

describe('cluster message envelope', () => {
  it('round-trips headers, options and a binary body byte for byte', () => {
    const body = Buffer.from([0, 1, 2, 255, 10, 0]);
    const bytes = encodeClusterMessage(
      'node-a',
      {
        seq: 7,
        id: 'm-1',
        headers: { destination: '/queue/x', 'message-id': 'm-1', 'a:b': 'c\nd' },
        body,
        priority: 9,
        expires: 123,
        timestamp: 456,
      },
      true,
    );
    const decoded = decodeClusterMessage(bytes);
    expect(decoded).not.toBeNull();
    expect(decoded!.node).toBe('node-a');
    expect(decoded!.persistent).toBe(true);
    expect(decoded!.message).toMatchObject({
      id: 'm-1',
      headers: { destination: '/queue/x', 'message-id': 'm-1', 'a:b': 'c\nd' },
      priority: 9,
      expires: 123,
      timestamp: 456,
    });
    expect(Buffer.compare(decoded!.message.body, body)).toBe(0);
  });

  it('returns null for bytes that are not an envelope', () => {
    expect(decodeClusterMessage(Buffer.from('hi'))).toBeNull();
    expect(decodeClusterMessage(Buffer.from([0, 0, 0, 50, 1, 2]))).toBeNull();
    expect(decodeClusterMessage(Buffer.from([0, 0, 0, 2, 0x7b, 0x7b]))).toBeNull();
  });
});

describe('globOf (STOMP wildcard → Redis pattern)', () => {
  it('turns * and > into a Redis * and escapes Redis glob characters elsewhere', () => {
    expect(globOf('p:', 'a.*')).toBe('p:a.*');
    expect(globOf('p:', 'a.>')).toBe('p:a.*');
    expect(globOf('p:', 'a.*.c')).toBe('p:a.*.c');
    expect(globOf('p:', 'we?rd.[x].*')).toBe('p:we\\?rd.\\[x\\].*');
  });
});
