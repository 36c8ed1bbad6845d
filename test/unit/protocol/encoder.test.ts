import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeFrame,
  encodeHeaderLines,
  encodeMessageFrame,
  encodeMessageHead,
  encodeMessageTail,
  encodeMessageTailOf,
  HEARTBEAT_EOL,
  joinFrame,
  joinTextFrame,
} from '../../../server/src/protocol/encoder.js';
import { escapeHeader } from '../../../server/src/protocol/escape.js';
import {
  createHeaders,
  type FrameHeaders,
  type StompVersion,
} from '../../../server/src/protocol/frame.js';

function headersOf(entries: Record<string, string>): FrameHeaders {
  return Object.assign(createHeaders(), entries);
}

const text = (buffer: Buffer) => buffer.toString('latin1');

describe('encodeFrame', () => {
  it('writes command, headers, blank line, body and NUL, with content-length last', () => {
    const frame = encodeFrame('SEND', headersOf({ destination: '/queue/a' }), 'hello', '1.2');
    expect(text(frame)).toBe('SEND\ndestination:/queue/a\ncontent-length:5\n\nhello\0');
  });

  it('writes no content-length for an empty or missing body', () => {
    expect(text(encodeFrame('RECEIPT', { 'receipt-id': '77' }, undefined, '1.2'))).toBe(
      'RECEIPT\nreceipt-id:77\n\n\0',
    );
    expect(text(encodeFrame('RECEIPT', [], '', '1.2'))).toBe('RECEIPT\n\n\0');
    expect(text(encodeFrame('RECEIPT', [], new Uint8Array(0), '1.2'))).toBe('RECEIPT\n\n\0');
  });

  it('owns content-length: the caller’s value is ignored and the byte length written', () => {
    const lying = headersOf({ 'content-length': '999', a: '1' });
    expect(text(encodeFrame('SEND', lying, 'xy', '1.2'))).toBe(
      'SEND\na:1\ncontent-length:2\n\nxy\0',
    );
    expect(text(encodeFrame('SEND', [['content-length', '1']], undefined, '1.2'))).toBe(
      'SEND\n\n\0',
    );
  });

  it('counts UTF-8 bytes of a string body', () => {
    const frame = encodeFrame('SEND', [], '€😀', '1.2');
    expect(frame.toString()).toBe('SEND\ncontent-length:7\n\n€😀\0');
  });

  it('copies a binary body containing NULs', () => {
    const body = new Uint8Array([0, 1, 0, 2]);
    const frame = encodeFrame('MESSAGE', [], body, '1.2');
    expect([...frame.subarray(frame.length - 5)]).toEqual([0, 1, 0, 2, 0]);
    expect(text(frame.subarray(0, frame.length - 5))).toBe('MESSAGE\ncontent-length:4\n\n');
  });

  it('keeps the order and repeats of headers given as pairs', () => {
    const frame = encodeFrame(
      'MESSAGE',
      [
        ['b', '1'],
        ['a', '2'],
        ['b', '3'],
      ],
      undefined,
      '1.2',
    );
    expect(text(frame)).toBe('MESSAGE\nb:1\na:2\nb:3\n\n\0');
  });

  it('escapes names and values for the version', () => {
    const headers = headersOf({ 'a:b': 'x\\y\nz\rw' });
    expect(encodeFrame('SEND', headers, undefined, '1.2').toString()).toBe(
      'SEND\na\\cb:x\\\\y\\nz\\rw\n\n\0',
    );
    expect(encodeFrame('SEND', headers, undefined, '1.1').toString()).toBe(
      'SEND\na\\cb:x\\\\y\\nz\rw\n\n\0',
    );
    expect(encodeFrame('SEND', headers, undefined, '1.0').toString()).toBe(
      'SEND\na:b:x\\y z w\n\n\0',
    );
  });

  it('does not escape CONNECT, STOMP or CONNECTED, but never lets a line break through', () => {
    for (const command of ['CONNECT', 'STOMP', 'CONNECTED']) {
      const frame = encodeFrame(command, { server: 'a:b\\c', evil: 'x\ny' }, undefined, '1.2');
      expect(frame.toString()).toBe(`${command}\nserver:a:b\\c\nevil:x y\n\n\0`);
    }
  });

  it('writes an own header named __proto__ and ignores inherited properties', () => {
    const headers = createHeaders();
    const proto = '__proto__';
    headers[proto] = 'x';
    expect(encodeFrame('SEND', headers, undefined, '1.2').toString()).toBe(
      'SEND\n__proto__:x\n\n\0',
    );
    const inherited = Object.create({ inherited: 'no' }) as FrameHeaders;
    inherited.own = 'yes';
    expect(encodeFrame('SEND', inherited, undefined, '1.2').toString()).toBe('SEND\nown:yes\n\n\0');
  });
});

describe('encodeHeaderLines', () => {
  it('writes escaped name:value lines, skipping content-length', () => {
    const lines = encodeHeaderLines(
      headersOf({ destination: '/topic/a', 'content-length': '3', 'x:y': 'é\n' }),
      '1.2',
    );
    expect(lines.toString()).toBe('destination:/topic/a\nx\\cy:é\\n\n');
    expect(encodeHeaderLines(createHeaders(), '1.2').length).toBe(0);
  });
});

/** A MESSAGE the way the session writes it: per-delivery head + shared tail, both ways of joining them. */
function encodeMessage(
  perDeliveryLines: string,
  shared: FrameHeaders,
  body: Uint8Array,
  version: StompVersion,
): Buffer {
  const tail = encodeMessageTail(encodeHeaderLines(shared, version), body);
  // The one-step form the broker uses gives the very same tail.
  expect(encodeMessageTailOf(shared, body, version).equals(tail)).toBe(true);
  const fromBytes = joinFrame(encodeMessageHead(perDeliveryLines), tail);
  const fromText = joinTextFrame(`MESSAGE\n${perDeliveryLines}`, tail);
  expect(fromText.equals(fromBytes)).toBe(true);
  // A queue message's frame, written in one piece without a tail: the same bytes.
  const oneFrame = encodeMessageFrame(`MESSAGE\n${perDeliveryLines}`, shared, body, version);
  expect(oneFrame.equals(fromBytes)).toBe(true);
  return fromBytes;
}

describe('MESSAGE from a per-delivery head and a shared tail', () => {
  it('gives the same bytes as encodeFrame for MESSAGE', () => {
    const perDelivery = headersOf({ subscription: 'sub-0', 'message-id': 'm:1', ack: 'é' });
    const shared = headersOf({ destination: '/topic/a', 'content-type': 'text/plain' });
    for (const version of ['1.0', '1.1', '1.2'] as const) {
      let perDeliveryLines = '';
      for (const [name, value] of Object.entries(perDelivery)) {
        perDeliveryLines += `${escapeHeader(name, version)}:${escapeHeader(value, version)}\n`;
      }
      for (const body of [Buffer.from('hello\0world'), Buffer.alloc(0)]) {
        expect(encodeMessage(perDeliveryLines, shared, body, version)).toEqual(
          encodeFrame('MESSAGE', { ...perDelivery, ...shared }, body, version),
        );
      }
    }
  });

  it('gives the same bytes as encodeFrame for any headers and body (fast-check)', () => {
    const anyText = fc.string({
      unit: fc.oneof(
        fc.constantFrom(':', '\\', '\n', '\r', 'a', '€', '😀'),
        fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      ),
      maxLength: 10,
    });
    const headers = fc.dictionary(
      anyText.filter((name) => name.length > 0 && name !== 'content-length'),
      anyText,
      { maxKeys: 5 },
    );
    fc.assert(
      fc.property(
        headers,
        headers,
        fc.uint8Array({ maxLength: 50 }),
        fc.constantFrom('1.0', '1.1', '1.2'),
        (perDelivery, shared, body, version) => {
          // Keep the names apart, as the broker does.
          const sharedOnly = headersOf({});
          for (const [name, value] of Object.entries(shared)) {
            if (!Object.hasOwn(perDelivery, name)) sharedOnly[name] = value;
          }
          const perDeliveryLines = encodeHeaderLines(headersOf(perDelivery), version).toString();
          const wire = encodeMessage(perDeliveryLines, sharedOnly, body, version);
          const reference = encodeFrame(
            'MESSAGE',
            [...Object.entries(perDelivery), ...Object.entries(sharedOnly)],
            body,
            version,
          );
          expect(wire.equals(reference)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('HEARTBEAT_EOL', () => {
  it('is a single LF', () => {
    expect([...HEARTBEAT_EOL]).toEqual([0x0a]);
  });
});
