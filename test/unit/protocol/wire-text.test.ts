import { describe, expect, it } from 'vitest';
import { decodeUtf8, hotCommand, knownHeaderName } from '../../../server/src/protocol/wire-text.js';

/** `text` as bytes with a byte of padding either side, so offsets are exercised. */
function padded(text: string): [Buffer, number, number] {
  const bytes = Buffer.concat([Buffer.from('#'), Buffer.from(text), Buffer.from('#')]);
  return [bytes, 1, bytes.length - 1];
}

describe('knownHeaderName', () => {
  it('gives the name for common header names, and null for anything else of the same or another length', () => {
    for (const name of ['destination', 'content-length', 'id', 'ack', 'receipt', 'message-id']) {
      expect(knownHeaderName(...padded(name))).toBe(name);
    }
    for (const other of ['destinatioN', 'Destination', 'ids', 'i', 'ac', 'acx', 'x-custom', 'é']) {
      expect(knownHeaderName(...padded(other))).toBeNull();
    }
  });
});

describe('hotCommand', () => {
  it('gives SEND and ACK, and null for other commands', () => {
    expect(hotCommand(...padded('SEND'))).toBe('SEND');
    expect(hotCommand(...padded('ACK'))).toBe('ACK');
    for (const other of ['SENT', 'ACKS', 'NACK', 'SUBSCRIBE', 'AC', 'XCK']) {
      expect(hotCommand(...padded(other))).toBeNull();
    }
  });
});

describe('decodeUtf8', () => {
  it('reads the same text as Buffer#toString, invalid sequences included', () => {
    const bytes = Buffer.concat([
      Buffer.from('a€😀:'),
      Buffer.from([0xe2, 0x82]), // a cut sequence
      Buffer.from('z'),
      Buffer.from([0xff]),
    ]);
    for (let start = 0; start <= bytes.length; start++) {
      for (let end = start; end <= bytes.length; end++) {
        expect(decodeUtf8(bytes, start, end)).toBe(bytes.toString('utf8', start, end));
      }
    }
  });
});
