import { describe, expect, it } from 'vitest';
import {
  decodeBatch,
  decodeClusterMessage,
  encodeBatch,
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

describe('batches of envelopes (one PUBLISH per topic per turn)', () => {
  const message = (id: string, body: string) =>
    encodeClusterMessage(
      'n',
      {
        seq: 0,
        id,
        headers: { 'message-id': id },
        body: Buffer.from(body),
        priority: 4,
        expires: 0,
        timestamp: 1,
      },
      false,
    );

  it('keeps every message and their order', () => {
    const decoded = decodeBatch(
      encodeBatch([message('a', 'one'), message('b', ''), message('c', 'three')]),
    );
    expect(decoded?.map((m) => [m.message.id, m.message.body.toString()])).toEqual([
      ['a', 'one'],
      ['b', ''],
      ['c', 'three'],
    ]);
  });

  it('rejects truncated or foreign bytes', () => {
    const bytes = encodeBatch([message('a', 'one')]);
    expect(decodeBatch(bytes.subarray(0, bytes.length - 1))).toBeNull();
    expect(decodeBatch(Buffer.alloc(0))).toBeNull();
    expect(decodeBatch(Buffer.from('not a batch'))).toBeNull();
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
