import { describe, expect, it } from 'vitest';
import { createMessage, messageFrame, messageTail } from '../../../server/src/broker/message.js';
import { encodeFrame } from '../../../server/src/protocol/encoder.js';
import { createHeaders } from '../../../server/src/protocol/frame.js';

function message(body: Buffer) {
  const headers = createHeaders();
  headers.destination = '/queue/a';
  headers['message-id'] = 'id:1';
  headers.note = 'line\r\nbreak\\';
  return createMessage('id:1', 1, headers, body);
}

const HEAD = 'MESSAGE\nsubscription:s\nack:7.3\n';
const PER_DELIVERY: [string, string][] = [
  ['subscription', 's'],
  ['ack', '7.3'],
];

describe('messageFrame', () => {
  it('writes the bytes encodeFrame writes, before and after the shared tail exists, in every version', () => {
    for (const body of [Buffer.from('hello\0world'), Buffer.alloc(0)]) {
      const m = message(body);
      // Versions interleaved: the cached header text is per version, so a switch must re-encode.
      for (const version of ['1.2', '1.0', '1.1', '1.2', '1.0'] as const) {
        const expected = encodeFrame(
          'MESSAGE',
          [...PER_DELIVERY, ...Object.entries(m.headers)],
          body,
          version,
        );
        expect(messageFrame(m, version, HEAD).equals(expected)).toBe(true);
      }
      for (const version of ['1.0', '1.1', '1.2'] as const) {
        messageTail(m, version);
        const expected = encodeFrame(
          'MESSAGE',
          [...PER_DELIVERY, ...Object.entries(m.headers)],
          body,
          version,
        );
        expect(messageFrame(m, version, HEAD).equals(expected)).toBe(true);
      }
    }
  });

  it('joins a topic message to its shared tail, built once per version, with the same bytes', () => {
    const m = message(Buffer.from('fan-out'));
    m.topic = {} as NonNullable<typeof m.topic>;
    for (const version of ['1.2', '1.0', '1.2'] as const) {
      const expected = encodeFrame(
        'MESSAGE',
        [...PER_DELIVERY, ...Object.entries(m.headers)],
        m.body,
        version,
      );
      expect(messageFrame(m, version, HEAD).equals(expected)).toBe(true);
    }
    expect(m.tail12).not.toBeNull();
    expect(m.tail10).not.toBeNull();
    expect(m.tail11).toBeNull();
  });

  it('writes headers longer than its first scratch buffer, and shorter ones after them', () => {
    const long = message(Buffer.from('x'));
    long.headers.big = 'ä:\\'.repeat(5000);
    const short = message(Buffer.from('y'));
    for (const m of [long, short]) {
      const expected = encodeFrame(
        'MESSAGE',
        [...PER_DELIVERY, ...Object.entries(m.headers)],
        m.body,
        '1.2',
      );
      expect(messageFrame(m, '1.2', HEAD).equals(expected)).toBe(true);
    }
  });

  it('builds no shared tail for a one-off delivery', () => {
    const m = message(Buffer.from('x'));
    messageFrame(m, '1.2', HEAD);
    expect(m.tail12).toBeNull();
  });
});
