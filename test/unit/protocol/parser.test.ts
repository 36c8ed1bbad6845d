import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../server/src/protocol/encoder.js';
import { ProtocolError, type ProtocolErrorCode } from '../../../server/src/protocol/errors.js';
import type { Frame, StompVersion } from '../../../server/src/protocol/frame.js';
import { DEFAULT_PARSER_LIMITS, type ParserLimits } from '../../../server/src/protocol/limits.js';
import { FrameParser } from '../../../server/src/protocol/parser.js';

interface Options {
  version?: StompVersion;
  limits?: Partial<ParserLimits>;
}

interface Plain {
  command: string;
  headers: Record<string, string>;
  body: Buffer;
}

function plain(frame: Frame): Plain {
  return { command: frame.command, headers: { ...frame.headers }, body: frame.body };
}

function newParser(options: Options = {}): { parser: FrameParser; frames: Frame[] } {
  const frames: Frame[] = [];
  const parser = new FrameParser((frame) => frames.push(frame), options.limits);
  if (options.version !== undefined) parser.version = options.version;
  return { parser, frames };
}

function parseChunks(chunks: Uint8Array[], options: Options = {}): Plain[] {
  const { parser, frames } = newParser(options);
  for (const chunk of chunks) parser.push(chunk);
  expect(parser.bufferedBytes).toBe(0);
  return frames.map(plain);
}

function parse(input: string | Buffer, options: Options = {}): Plain[] {
  return parseChunks([typeof input === 'string' ? Buffer.from(input) : input], options);
}

function parseOne(input: string | Buffer, options: Options = {}): Plain {
  const frames = parse(input, options);
  expect(frames).toHaveLength(1);
  return frames[0]!;
}

/** The ProtocolError that feeding `chunks` throws. */
function failure(chunks: Array<string | Buffer>, options: Options = {}): ProtocolError {
  const { parser } = newParser(options);
  try {
    for (const chunk of chunks) parser.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

function expectCode(chunks: Array<string | Buffer>, code: ProtocolErrorCode, options?: Options) {
  const error = failure(chunks, options);
  expect(error.code).toBe(code);
  return error;
}

/** A frame as the spec writes it, `^@` being NUL. */
interface Example {
  name: string;
  wire: string;
  command: string;
  headers: Record<string, string>;
  body: string;
}

const ERROR_BODY =
  'The message:\n-----\nMESSAGE\ndestined:/queue/a\nreceipt:message-12345\n\nHello queue a!\n-----\n' +
  'Did not contain a destination header, which is REQUIRED\nfor message propagation.\n';

// The example frames of the STOMP 1.2 specification.
const EXAMPLES: Example[] = [
  {
    name: 'CONNECT',
    wire: 'CONNECT\naccept-version:1.2\nhost:stomp.github.org\n\n\0',
    command: 'CONNECT',
    headers: { 'accept-version': '1.2', host: 'stomp.github.org' },
    body: '',
  },
  {
    name: 'STOMP',
    wire: 'STOMP\naccept-version:1.2\nhost:stomp.github.org\n\n\0',
    command: 'STOMP',
    headers: { 'accept-version': '1.2', host: 'stomp.github.org' },
    body: '',
  },
  {
    name: 'CONNECTED',
    wire: 'CONNECTED\nversion:1.2\n\n\0',
    command: 'CONNECTED',
    headers: { version: '1.2' },
    body: '',
  },
  {
    name: 'SEND with body',
    wire: 'SEND\ndestination:/queue/a\nreceipt:message-12345\n\nhello queue a\0',
    command: 'SEND',
    headers: { destination: '/queue/a', receipt: 'message-12345' },
    body: 'hello queue a',
  },
  {
    name: 'SEND with content-type',
    wire: 'SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\n\0',
    command: 'SEND',
    headers: { destination: '/queue/a', 'content-type': 'text/plain' },
    body: 'hello queue a\n',
  },
  {
    name: 'SUBSCRIBE',
    wire: 'SUBSCRIBE\nid:0\ndestination:/queue/foo\nack:client\n\n\0',
    command: 'SUBSCRIBE',
    headers: { id: '0', destination: '/queue/foo', ack: 'client' },
    body: '',
  },
  {
    name: 'UNSUBSCRIBE',
    wire: 'UNSUBSCRIBE\nid:0\n\n\0',
    command: 'UNSUBSCRIBE',
    headers: { id: '0' },
    body: '',
  },
  {
    name: 'ACK',
    wire: 'ACK\nid:12345\ntransaction:tx1\n\n\0',
    command: 'ACK',
    headers: { id: '12345', transaction: 'tx1' },
    body: '',
  },
  {
    name: 'NACK',
    wire: 'NACK\nid:12345\ntransaction:tx1\n\n\0',
    command: 'NACK',
    headers: { id: '12345', transaction: 'tx1' },
    body: '',
  },
  {
    name: 'BEGIN',
    wire: 'BEGIN\ntransaction:tx1\n\n\0',
    command: 'BEGIN',
    headers: { transaction: 'tx1' },
    body: '',
  },
  {
    name: 'COMMIT',
    wire: 'COMMIT\ntransaction:tx1\n\n\0',
    command: 'COMMIT',
    headers: { transaction: 'tx1' },
    body: '',
  },
  {
    name: 'ABORT',
    wire: 'ABORT\ntransaction:tx1\n\n\0',
    command: 'ABORT',
    headers: { transaction: 'tx1' },
    body: '',
  },
  {
    name: 'DISCONNECT',
    wire: 'DISCONNECT\nreceipt:77\n\n\0',
    command: 'DISCONNECT',
    headers: { receipt: '77' },
    body: '',
  },
  {
    name: 'RECEIPT',
    wire: 'RECEIPT\nreceipt-id:77\n\n\0',
    command: 'RECEIPT',
    headers: { 'receipt-id': '77' },
    body: '',
  },
  {
    name: 'MESSAGE',
    wire: 'MESSAGE\nsubscription:0\nmessage-id:007\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\0',
    command: 'MESSAGE',
    headers: {
      subscription: '0',
      'message-id': '007',
      destination: '/queue/a',
      'content-type': 'text/plain',
    },
    body: 'hello queue a',
  },
  {
    name: 'ERROR',
    wire:
      'ERROR\nreceipt-id:message-12345\ncontent-type:text/plain\n' +
      `content-length:${Buffer.byteLength(ERROR_BODY)}\nmessage:malformed frame received\n\n${ERROR_BODY}\0`,
    command: 'ERROR',
    headers: {
      'receipt-id': 'message-12345',
      'content-type': 'text/plain',
      'content-length': String(Buffer.byteLength(ERROR_BODY)),
      message: 'malformed frame received',
    },
    body: ERROR_BODY,
  },
  {
    name: 'UTF-8 headers and a binary body with NULs (extra)',
    wire: 'SEND\ndestination:/queue/é€😀\ncontent-length:5\n\na\0b\0c\0',
    command: 'SEND',
    headers: { destination: '/queue/é€😀', 'content-length': '5' },
    body: 'a\0b\0c',
  },
];

function expectExample(frame: Plain | undefined, example: Example): void {
  expect(frame).toBeDefined();
  expect(frame!.command).toBe(example.command);
  expect(frame!.headers).toEqual(example.headers);
  expect(frame!.body.toString()).toBe(example.body);
}

describe('FrameParser: STOMP 1.2 specification examples', () => {
  for (const example of EXAMPLES) {
    const bytes = Buffer.from(example.wire);

    it(`parses ${example.name}`, () => {
      expectExample(parseOne(bytes, { version: '1.2' }), example);
    });

    it(`parses ${example.name} split at every byte boundary and one byte at a time`, () => {
      for (let i = 1; i < bytes.length; i++) {
        const frames = parseChunks([bytes.subarray(0, i), bytes.subarray(i)], { version: '1.2' });
        expect(frames).toHaveLength(1);
        expectExample(frames[0], example);
      }
      const bytewise: Buffer[] = [];
      for (let i = 0; i < bytes.length; i++) bytewise.push(bytes.subarray(i, i + 1));
      const frames = parseChunks(bytewise, { version: '1.2' });
      expect(frames).toHaveLength(1);
      expectExample(frames[0], example);
    });
  }

  it('emits many frames from one chunk in order, skipping LF and CRLF heart-beats', () => {
    const eols = ['\n', '\r\n', '', '\n\n\r\n', '\r\n\r\n'];
    const wire = `\n\r\n${EXAMPLES.map((e, i) => e.wire + eols[i % eols.length]).join('')}\n`;
    const frames = parse(wire, { version: '1.2' });
    expect(frames).toHaveLength(EXAMPLES.length);
    EXAMPLES.forEach((example, i) => {
      expectExample(frames[i], example);
    });

    // And identically when that stream is split anywhere.
    const bytes = Buffer.from(wire);
    for (let i = 1; i < bytes.length; i++) {
      const split = parseChunks([bytes.subarray(0, i), bytes.subarray(i)], { version: '1.2' });
      expect(split).toEqual(frames);
    }
  });
});

describe('FrameParser: framing', () => {
  it('accepts CRLF line endings everywhere, in every version', () => {
    for (const version of ['1.0', '1.1', '1.2'] as const) {
      const frame = parseOne('SEND\r\ndestination:/q\r\nreceipt:1\r\n\r\nbody\r\n\0', { version });
      expect(frame).toEqual({
        command: 'SEND',
        headers: { destination: '/q', receipt: '1' },
        body: Buffer.from('body\r\n'),
      });
    }
  });

  it('strips only one CR before LF; a CR inside a value is data', () => {
    const frame = parseOne('SEND\na:x\ry\nb:z\r\r\n\n\0', { version: '1.1' });
    expect(frame.headers).toEqual({ a: 'x\ry', b: 'z\r' });
  });

  it('reads exactly content-length bytes, NULs included', () => {
    const body = Buffer.from([0, 1, 0, 255, 0]);
    const wire = Buffer.concat([Buffer.from('SEND\ncontent-length:5\n\n'), body, Buffer.from([0])]);
    expect(parseOne(wire).body).toEqual(body);
  });

  it('accepts content-length:0 and an empty body without content-length', () => {
    const frames = parse('SEND\ncontent-length:0\n\n\0SEND\n\n\0');
    expect(frames.map((f) => f.body.length)).toEqual([0, 0]);
  });

  it('runs a body without content-length to the first NUL', () => {
    const frames = parse('SEND\n\nfirst\0SEND\n\nsecond\n\0');
    expect(frames.map((f) => f.body.toString())).toEqual(['first', 'second\n']);
  });

  it('reads commands that differ from SEND and ACK by one letter or in length as written', () => {
    for (const command of [
      'SEND',
      'ACK',
      'SENX',
      'XEND',
      'SEN',
      'SENDS',
      'ACX',
      'XCK',
      'AC',
      'ACKS',
      'NACK',
    ]) {
      expect(parseOne(`${command}\na:b\n\n\0`).command).toBe(command);
    }
    // Split across chunks too.
    const [frame] = parseChunks([Buffer.from('AC'), Buffer.from('K\nid:1\n\n\0')]);
    expect(frame!.command).toBe('ACK');
  });

  it('lets the first of repeated headers win', () => {
    const frame = parseOne('MESSAGE\nfoo:World\nfoo:Hello\nbar:1\nfoo:again\n\n\0');
    expect(frame.headers).toEqual({ foo: 'World', bar: '1' });
  });

  it('splits at the first colon; values may contain colons and be empty', () => {
    const frame = parseOne('SEND\nurl:http://h:80/a:b\nempty:\nx::\n\n\0');
    expect(frame.headers).toEqual({ url: 'http://h:80/a:b', empty: '', x: ':' });
  });

  it('treats __proto__ and constructor headers as plain data', () => {
    const { parser, frames } = newParser();
    parser.push(Buffer.from('SEND\n__proto__:polluted\nconstructor:x\ntoString:y\n\n\0'));
    const headers = frames[0]!.headers;
    expect(Object.getPrototypeOf(headers)).toBeNull();
    const proto = '__proto__';
    expect(headers[proto]).toBe('polluted');
    expect(headers.constructor).toBe('x');
    expect(Object.keys(headers)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('decodes header bytes as UTF-8, also when a character is split across chunks', () => {
    const bytes = Buffer.from('SEND\nname:€😀\n\n\0');
    const at = bytes.indexOf(Buffer.from('😀')) + 2;
    const [frame] = parseChunks([bytes.subarray(0, at), bytes.subarray(at)]);
    expect(frame!.headers.name).toBe('€😀');
  });

  it('copies what it keeps: the caller may reuse the chunk memory', () => {
    const { parser, frames } = newParser();
    const scratch = new Uint8Array(64);
    const feed = (text: string) => {
      const bytes = Buffer.from(text);
      scratch.set(bytes, 8);
      parser.push(scratch.subarray(8, 8 + bytes.length));
      scratch.fill(0x58); // uWebSockets.js reuses its buffer
    };
    feed('SEND\ndesti');
    feed('nation:/q\n\nbo');
    feed('dy\0SEND\ncontent-length:3\n\nx');
    feed('yz\0');
    expect(frames.map(plain)).toEqual([
      { command: 'SEND', headers: { destination: '/q' }, body: Buffer.from('body') },
      { command: 'SEND', headers: { 'content-length': '3' }, body: Buffer.from('xyz') },
    ]);
  });

  it('reports bytes of the partial frame in bufferedBytes', () => {
    const { parser } = newParser();
    expect(parser.bufferedBytes).toBe(0);
    parser.push(Buffer.from('\n\nSEND\nab'));
    expect(parser.bufferedBytes).toBe(7);
    parser.push(Buffer.from(':c\n\nbody'));
    expect(parser.bufferedBytes).toBe(15);
    parser.push(Buffer.from('\0\n'));
    expect(parser.bufferedBytes).toBe(0);
  });

  it('stop() suppresses the later frames of the same chunk and ignores later pushes', () => {
    const seen: string[] = [];
    const parser = new FrameParser((frame) => {
      seen.push(frame.command);
      if (frame.command === 'DISCONNECT') parser.stop();
    });
    parser.push(Buffer.from('SEND\n\n\0DISCONNECT\n\n\0SEND\n\n\0'));
    parser.push(Buffer.from('SEND\n\n\0'));
    expect(seen).toEqual(['SEND', 'DISCONNECT']);
  });

  it('lets an exception from the callback propagate, then emits nothing more', () => {
    const seen: string[] = [];
    const parser = new FrameParser((frame) => {
      seen.push(frame.command);
      throw new Error('boom');
    });
    expect(() => parser.push(Buffer.from('SEND\n\n\0ACK\n\n\0'))).toThrow('boom');
    parser.push(Buffer.from('NACK\n\n\0'));
    expect(seen).toEqual(['SEND']);
  });

  it('rejects limits that are not positive integers', () => {
    expect(() => new FrameParser(() => {}, { maxHeaders: 0 })).toThrow(RangeError);
    expect(() => new FrameParser(() => {}, { maxFrameSize: Number.NaN })).toThrow(RangeError);
  });
});

describe('FrameParser: header escaping', () => {
  const wire = 'SEND\nna\\cme:a\\nb\\cc\\\\d\\re\n\n\0';

  it('1.0 unescapes nothing', () => {
    expect(parseOne(wire, { version: '1.0' }).headers).toEqual({ 'na\\cme': 'a\\nb\\cc\\\\d\\re' });
  });

  it('1.1 decodes \\n \\c \\\\ in names and values, keeps \\r verbatim', () => {
    expect(parseOne(wire, { version: '1.1' }).headers).toEqual({ 'na:me': 'a\nb:c\\d\\re' });
  });

  it('1.2 also decodes \\r', () => {
    expect(parseOne(wire, { version: '1.2' }).headers).toEqual({ 'na:me': 'a\nb:c\\d\re' });
  });

  it('never unescapes CONNECT, STOMP or CONNECTED', () => {
    for (const command of ['CONNECT', 'STOMP', 'CONNECTED']) {
      const frame = parseOne(`${command}\nlogin:a\\cb\\t\n\n\0`, { version: '1.2' });
      expect(frame.headers).toEqual({ login: 'a\\cb\\t' });
    }
  });

  it('keeps undefined escapes verbatim in 1.0 and 1.1 (old clients do not escape)', () => {
    const text = 'SEND\ndestination:C:\\temp\\tx\\\n\n\0';
    expect(parseOne(text, { version: '1.0' }).headers.destination).toBe('C:\\temp\\tx\\');
    expect(parseOne(text, { version: '1.1' }).headers.destination).toBe('C:\\temp\\tx\\');
  });

  it('makes an undefined escape fatal in 1.2, naming the header', () => {
    const error = expectCode(['SEND\ndestination:/a\\tb\n\n\0'], 'invalid-escape', {
      version: '1.2',
    });
    expect(error.message).toBe('invalid escape in header "destination"');
    expect(error.detail).toContain('\\t');
    expectCode(['SEND\nbad\\x:1\n\n\0'], 'invalid-escape', { version: '1.2' });
    expectCode(['SEND\nx:trailing\\\n\n\0'], 'invalid-escape', { version: '1.2' });
  });

  it('applies a version set inside the callback from the next frame on', () => {
    const frames: Frame[] = [];
    const parser = new FrameParser((frame) => {
      frames.push(frame);
      if (frame.command === 'CONNECT') parser.version = '1.2';
    });
    parser.push(Buffer.from('CONNECT\nhost:a\\cb\n\n\0SEND\nhost:a\\cb\n\n\0'));
    expect(frames.map((f) => f.headers.host)).toEqual(['a\\cb', 'a:b']);
  });
});

describe('FrameParser: errors', () => {
  it('rejects commands that are not A-Z letters, quoting them safely', () => {
    expectCode(['send\n\n\0'], 'invalid-command');
    expectCode(['SEND \n\n\0'], 'invalid-command');
    expectCode(['\rSEND\n\n\0'], 'invalid-command');
    expectCode(['\r\r\n'], 'invalid-command');
    const error = expectCode(['GET / HTTP/1.1\r\nHost: x\r\n\r\n'], 'invalid-command');
    expect(error.message).toBe('invalid command "GET / HTTP/1.1"');
    const hostile = expectCode([`\u001b[2J"${'x'.repeat(100)}\n`], 'invalid-command');
    expect(hostile.message).toBe(`invalid command "\\u001b[2J\\"${'x'.repeat(27)}"...`);
    expect(hostile.detail).not.toMatch(/[\n\r]/);
    expect(hostile.detail).not.toContain('\u001b');
  });

  it('rejects a garbage command before its line ends', () => {
    expectCode(['SE', 'ND', 'x'], 'invalid-command');
    expectCode(['\r', 'S'], 'invalid-command');
    expectCode(['SE\r', 'ND\n\n\0'], 'invalid-command');
    expectCode([Buffer.from([0x16, 0x03, 0x01])], 'invalid-command'); // TLS ClientHello
  });

  it('rejects header lines without a colon or with an empty name', () => {
    expect(expectCode(['SEND\nnocolon\n\n\0'], 'invalid-header').message).toBe(
      'header without colon',
    );
    expect(expectCode(['SEND\n:value\n\n\0'], 'invalid-header').message).toBe('empty header name');
  });

  it('rejects a content-length that is not a non-negative decimal integer', () => {
    for (const value of ['abc', '-1', ' 5', '5 ', '', '1.5', '0x10', '+3']) {
      expectCode([`SEND\ncontent-length:${value}\n\nhello\0`], 'invalid-content-length');
    }
  });

  it('requires a NUL right after a content-length body', () => {
    const error = expectCode(['SEND\ncontent-length:3\n\nabcd\0'], 'missing-frame-terminator');
    expect(error.detail).toContain('0x64');
    expectCode(['SEND\ncontent-length:3\n\nab', 'c', 'd'], 'missing-frame-terminator');
  });

  it('stays dead after an error: every later push throws the same error', () => {
    const { parser, frames } = newParser();
    let first: unknown;
    try {
      parser.push(Buffer.from('SEND\nbad\n\n\0'));
    } catch (err) {
      first = err;
    }
    expect(first).toBeInstanceOf(ProtocolError);
    expect(() => parser.push(Buffer.from('SEND\n\n\0'))).toThrow(first as Error);
    try {
      parser.push(Buffer.from('\n'));
    } catch (err) {
      expect(err).toBe(first);
    }
    expect(frames).toHaveLength(0);
  });

  it('emits the frames before an error in the same chunk', () => {
    const { parser, frames } = newParser();
    expect(() => parser.push(Buffer.from('SEND\n\n\0bad\n'))).toThrow(ProtocolError);
    expect(frames.map((f) => f.command)).toEqual(['SEND']);
  });
});

describe('FrameParser: limits', () => {
  const line = (n: number) => `h:${'v'.repeat(n - 2)}`;

  it('uses the documented defaults', () => {
    expect(DEFAULT_PARSER_LIMITS).toEqual({
      maxFrameSize: 4 * 1024 * 1024,
      maxHeaders: 128,
      maxHeaderLineLength: 8 * 1024,
    });
  });

  it('limits header line length in bytes, EOL excluded', () => {
    const limits = { maxHeaderLineLength: 32 };
    expect(parseOne(`SEND\n${line(32)}\n\n\0`, { limits }).headers.h).toHaveLength(30);
    expect(parseOne(`SEND\n${line(32)}\r\n\n\0`, { limits }).headers.h).toHaveLength(30);
    const error = expectCode([`SEND\n${line(33)}\n\n\0`], 'header-line-too-long', { limits });
    expect(error.message).toBe('header line too long');
    expect(error.detail).toBe(
      'A header line of the SEND frame exceeded 32 bytes (limit maxHeaderLineLength). Send shorter headers, or raise limits.maxHeaderLineLength in the broker config.',
    );
    // Multi-byte characters count as bytes.
    expectCode([`SEND\nh:${'€'.repeat(11)}\n\n\0`], 'header-line-too-long', { limits });
  });

  it('detects a too-long line before its LF arrives', () => {
    const limits = { maxHeaderLineLength: 32 };
    const { parser } = newParser({ limits });
    parser.push(Buffer.from(`SEND\n${line(32)}`));
    parser.push(Buffer.from('\r')); // could still be CRLF
    expect(() => parser.push(Buffer.from('x'))).toThrow(
      expect.objectContaining({ code: 'header-line-too-long' }),
    );
    expectCode(['SEND\n', 'h:', 'v'.repeat(100)], 'header-line-too-long', { limits });
    expectCode([`SEND\n${'h'.repeat(20)}`, 'v'.repeat(20)], 'header-line-too-long', { limits });
  });

  it('limits the command line too', () => {
    const limits = { maxHeaderLineLength: 8 };
    expect(parseOne('ABCDEFGH\n\n\0', { limits }).command).toBe('ABCDEFGH');
    const error = expectCode(['ABCDEFGHI'], 'header-line-too-long', { limits });
    expect(error.message).toBe('command line too long');
  });

  it('limits the number of header lines, repeats included', () => {
    const limits = { maxHeaders: 3 };
    expect(Object.keys(parseOne('SEND\na:1\nb:2\nc:3\n\n\0', { limits }).headers)).toHaveLength(3);
    const error = expectCode(['SEND\na:1\na:2\na:3\na:4\n\n\0'], 'too-many-headers', { limits });
    expect(error.detail).toContain('limits.maxHeaders');
  });

  it('limits the whole frame, counted from the command to the NUL', () => {
    const limits = { maxFrameSize: 20 };
    // 'SEND\n' + 'a:b\n' + '\n' = 10 bytes of head, 10 of body: exactly 20.
    expect(parseOne(`SEND\na:b\n\n${'x'.repeat(10)}\0`, { limits }).body).toHaveLength(10);
    expect(parseOne(`\n\r\nSEND\na:b\n\n${'x'.repeat(10)}\0\n\n`, { limits }).body).toHaveLength(
      10,
    );
    expectCode([`SEND\na:b\n\n${'x'.repeat(11)}\0`], 'frame-too-large', { limits });
    expectCode([`SEND\na:b\n\n${'x'.repeat(5)}`, 'x'.repeat(6)], 'frame-too-large', { limits });
    // Headers alone can be too much.
    expectCode([`SEND\n${line(12)}\n${line(12)}`], 'frame-too-large', { limits });
  });

  it('rejects a declared content-length over the limit before any body byte arrives', () => {
    const limits = { maxFrameSize: 1000 };
    const error = expectCode(['SEND\ncontent-length:991\n\n'], 'frame-too-large', { limits });
    expect(error.detail).toContain('content-length 991');
    expectCode(['SEND\ncontent-length:99999999999999999999999\n\n'], 'frame-too-large');
    const ok = 'SEND\ncontent-length:970\n\n'; // 25 bytes of head + 970 = 995
    expect(parseOne(`${ok}${'x'.repeat(970)}\0`, { limits }).body).toHaveLength(970);
  });

  it('fails a 10 MiB body streamed in 64 KiB chunks without NUL at the limit, not at the end', () => {
    const { parser } = newParser();
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    parser.push(Buffer.from('SEND\ndestination:/queue/big\n\n'));
    let failedAt = -1;
    for (let i = 0; i < 160; i++) {
      try {
        parser.push(chunk);
      } catch (err) {
        expect((err as ProtocolError).code).toBe('frame-too-large');
        failedAt = i;
        break;
      }
      expect(parser.bufferedBytes).toBeLessThanOrEqual(DEFAULT_PARSER_LIMITS.maxFrameSize);
    }
    // 64 chunks = 4 MiB of body, plus the head, is over the 4 MiB limit.
    expect(failedAt).toBe(63);
  });

  it('assembles a large content-length body from many small chunks', () => {
    const body = Buffer.alloc(300_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    const wire = Buffer.concat([
      Buffer.from(`SEND\ncontent-length:${body.length}\n\n`),
      body,
      Buffer.from('\0SEND\n\n'),
      body.subarray(1, 100_001).map((b) => b || 1),
      Buffer.from([0]),
    ]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < wire.length; i += 1000) chunks.push(wire.subarray(i, i + 1000));
    const frames = parseChunks(chunks);
    expect(frames).toHaveLength(2);
    expect(frames[0]!.body.equals(body)).toBe(true);
    expect(frames[1]!.body.equals(body.subarray(1, 100_001).map((b) => b || 1))).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// Property: encodeFrame then FrameParser gives back the same frame.

/** One Unicode scalar value (no lone surrogates: they cannot survive UTF-8). */
const anyCodePoint = fc
  .integer({ min: 0, max: 0x10ffff })
  .filter((c) => c < 0xd800 || c > 0xdfff)
  .map((c) => String.fromCodePoint(c));

const SPECIAL_UNITS = [':', '\\', '\n', '\r', 'n', 'c', 'r', 't', 'a', 'é', '€', '😀', '\0', ' '];

function textFor(version: StompVersion, role: 'name' | 'value') {
  const unit = fc.oneof(fc.constantFrom(...SPECIAL_UNITS), anyCodePoint);
  return fc.string({ unit, minLength: role === 'name' ? 1 : 0, maxLength: 12 }).filter((text) => {
    if (text === 'content-length') return false;
    // 1.0 cannot carry line breaks (the encoder replaces them) or a colon in a name.
    if (version === '1.0') return !/[\r\n]/.test(text) && (role === 'value' || !text.includes(':'));
    // 1.1 has no escape for CR: a value's final CR would read as part of CRLF.
    if (version === '1.1') return role === 'name' || !text.endsWith('\r');
    return true;
  });
}

function frameFor(version: StompVersion) {
  return fc.record({
    command: fc
      .string({
        unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
        minLength: 1,
        maxLength: 12,
      })
      .filter((c) => c !== 'CONNECT' && c !== 'STOMP' && c !== 'CONNECTED'),
    headers: fc.array(fc.tuple(textFor(version, 'name'), textFor(version, 'value')), {
      maxLength: 8,
    }),
    body: fc.uint8Array({ maxLength: 300 }),
  });
}

function expected(headers: Array<[string, string]>): Record<string, string> {
  const firstWins = new Map<string, string>();
  for (const [name, value] of headers) if (!firstWins.has(name)) firstWins.set(name, value);
  return Object.fromEntries(firstWins);
}

function roundTrip(
  frame: { command: string; headers: Array<[string, string]>; body: Uint8Array },
  version: StompVersion,
  splits: number[],
): void {
  const wire = encodeFrame(frame.command, frame.headers, frame.body, version);
  const cuts = [...new Set(splits.map((s) => s % (wire.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, wire.length]) {
    chunks.push(wire.subarray(from, cut));
    from = cut;
  }
  const { parser, frames } = newParser({ version });
  for (const chunk of chunks) parser.push(chunk);
  expect(frames).toHaveLength(1);
  const got = frames[0]!;
  const headers = { ...got.headers };
  if (frame.body.length > 0) {
    expect(headers['content-length']).toBe(String(frame.body.length));
    delete headers['content-length'];
  }
  expect(got.command).toBe(frame.command);
  expect(headers).toEqual(expected(frame.headers));
  expect(got.body.equals(frame.body)).toBe(true);
}

describe('FrameParser: round trip with encodeFrame (fast-check)', () => {
  for (const version of ['1.0', '1.1', '1.2'] as const) {
    it(`parses what encodeFrame wrote for ${version}`, () => {
      fc.assert(
        fc.property(frameFor(version), (frame) => roundTrip(frame, version, [])),
        { numRuns: 300 },
      );
    });

    it(`parses it identically when split into random chunks (${version})`, () => {
      fc.assert(
        fc.property(frameFor(version), fc.array(fc.nat(), { maxLength: 12 }), (frame, splits) =>
          roundTrip(frame, version, splits),
        ),
        { numRuns: 300 },
      );
    });
  }
});
