import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeHeader,
  findInvalidEscape,
  isConnectCommand,
  unescapeHeader,
} from '../../../server/src/protocol/escape.js';

/** One Unicode scalar value. */
const anyCodePoint = fc
  .integer({ min: 0, max: 0x10ffff })
  .filter((c) => c < 0xd800 || c > 0xdfff)
  .map((c) => String.fromCodePoint(c));

describe('escapeHeader', () => {
  it('returns the very same string when nothing needs escaping', () => {
    const text = 'plain /queue/a value';
    expect(escapeHeader(text, '1.0')).toBe(text);
    expect(escapeHeader(text, '1.1')).toBe(text);
    expect(escapeHeader(text, '1.2')).toBe(text);
  });

  it('1.0 has no escapes, but replaces line breaks so a value cannot inject headers', () => {
    expect(escapeHeader('a:b\\c', '1.0')).toBe('a:b\\c');
    expect(escapeHeader('a\nb\r\nc', '1.0')).toBe('a b  c');
  });

  it('1.1 escapes backslash, LF and colon, not CR', () => {
    expect(escapeHeader('a\\b\nc:d\re', '1.1')).toBe('a\\\\b\\nc\\cd\re');
  });

  it('1.2 also escapes CR', () => {
    expect(escapeHeader('a\\b\nc:d\re', '1.2')).toBe('a\\\\b\\nc\\cd\\re');
    expect(escapeHeader('::', '1.2')).toBe('\\c\\c');
    expect(escapeHeader('\\', '1.2')).toBe('\\\\');
  });
});

describe('unescapeHeader', () => {
  it('1.0 leaves everything alone', () => {
    expect(unescapeHeader('a\\nb\\c\\t', '1.0')).toBe('a\\nb\\c\\t');
  });

  it('returns the very same string when there is no backslash', () => {
    const text = 'no escapes: here';
    expect(unescapeHeader(text, '1.2')).toBe(text);
  });

  it('1.1 decodes \\n \\c \\\\ and keeps undefined sequences verbatim', () => {
    expect(unescapeHeader('a\\nb\\cc\\\\d', '1.1')).toBe('a\nb:c\\d');
    expect(unescapeHeader('a\\rb', '1.1')).toBe('a\\rb');
    expect(unescapeHeader('C:\\temp\\x', '1.1')).toBe('C:\\temp\\x');
    expect(unescapeHeader('end\\', '1.1')).toBe('end\\');
  });

  it('1.2 also decodes \\r and rejects undefined sequences', () => {
    expect(unescapeHeader('a\\rb\\n', '1.2')).toBe('a\rb\n');
    expect(unescapeHeader('a\\tb', '1.2')).toBeUndefined();
    expect(unescapeHeader('end\\', '1.2')).toBeUndefined();
  });

  it('decodes left to right: an escaped backslash is not the start of another escape', () => {
    expect(unescapeHeader('\\\\n', '1.2')).toBe('\\n');
    expect(unescapeHeader('\\\\\\c', '1.1')).toBe('\\:');
  });

  it('undoes escapeHeader for any text (1.1 and 1.2)', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.oneof(anyCodePoint, fc.constantFrom('\\', ':', '\n', '\r', 'c', 'n')),
        }),
        fc.constantFrom('1.1', '1.2'),
        (text, version) => {
          expect(unescapeHeader(escapeHeader(text, version), version)).toBe(text);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('findInvalidEscape', () => {
  it('names the first undefined sequence', () => {
    expect(findInvalidEscape('ok\\n\\\\then\\tbad')).toBe('\\t');
    expect(findInvalidEscape('trailing\\')).toBe('\\');
    expect(findInvalidEscape('fine\\r\\c')).toBe('');
  });
});

describe('isConnectCommand', () => {
  it('is true for CONNECT, STOMP and CONNECTED only', () => {
    expect(['CONNECT', 'STOMP', 'CONNECTED', 'SEND', 'MESSAGE'].map(isConnectCommand)).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});
