import { describe, expect, it } from 'vitest';
import { normaliseAddress } from '../../../server/src/transport/address.js';
import {
  negotiateSubprotocol,
  parseSubprotocolOffer,
  selectSubprotocol,
} from '../../../server/src/transport/subprotocol.js';

describe('subprotocol negotiation', () => {
  it('parses the offer header', () => {
    expect(parseSubprotocolOffer(undefined)).toEqual([]);
    expect(parseSubprotocolOffer('')).toEqual([]);
    expect(parseSubprotocolOffer(' v10.stomp , v11.stomp,,v12.stomp ')).toEqual([
      'v10.stomp',
      'v11.stomp',
      'v12.stomp',
    ]);
  });

  it('picks by our preference, not the client order', () => {
    expect(negotiateSubprotocol('v10.stomp, v11.stomp, v12.stomp')).toBe('v12.stomp');
    expect(negotiateSubprotocol('v12.stomp, v10.stomp')).toBe('v12.stomp');
    expect(negotiateSubprotocol('v10.stomp, v11.stomp')).toBe('v11.stomp');
    expect(negotiateSubprotocol('v10.stomp')).toBe('v10.stomp');
  });

  it('returns "" when nothing is ours', () => {
    expect(negotiateSubprotocol('')).toBe('');
    expect(negotiateSubprotocol('mqtt, wamp')).toBe('');
    expect(selectSubprotocol(new Set<string>())).toBe('');
  });

  it("matches case-insensitively and echoes the client's spelling", () => {
    expect(selectSubprotocol(new Set(['V11.STOMP']))).toBe('V11.STOMP');
  });
});

describe('normaliseAddress', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['0000:0000:0000:0000:0000:ffff:7f00:0001', '127.0.0.1'],
    ['::FFFF:C0A8:0102', '192.168.1.2'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['::1', '::1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1%eth0'],
    ['', ''],
    [undefined, ''],
  ])('%s → %s', (raw, expected) => {
    expect(normaliseAddress(raw)).toBe(expected);
  });
});
