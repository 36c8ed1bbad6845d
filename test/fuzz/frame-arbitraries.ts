/**
 * Valid-ish STOMP frames as bytes, written by hand (not with the broker's
 * encoder), for the parser fuzzer to start from before mutating them.
 */
import fc from 'fast-check';
import { escapeHeader } from '../helpers/frames.js';
import { concat } from './mutations.js';

export type Version = '1.0' | '1.1' | '1.2';
export const VERSIONS: readonly Version[] = ['1.0', '1.1', '1.2'];

export const CLIENT_COMMANDS = [
  'CONNECT',
  'STOMP',
  'SEND',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'ACK',
  'NACK',
  'BEGIN',
  'COMMIT',
  'ABORT',
  'DISCONNECT',
];
const SERVER_COMMANDS = ['CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR'];

export const command: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...CLIENT_COMMANDS, ...SERVER_COMMANDS) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
      minLength: 1,
      maxLength: 12,
    }),
  },
);

const SPECIAL_UNITS = [':', '\\', '\n', '\r', 'n', 'c', 'r', 't', 'é', '€', '😀', '\0', ' ', '\t'];

const textUnit = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_UNITS) },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

/** Short text rich in characters that matter to header escaping. */
export const headerText: fc.Arbitrary<string> = fc.string({ unit: textUnit, maxLength: 16 });

const HEADER_NAMES = [
  'content-length',
  'content-type',
  'receipt',
  'destination',
  'id',
  'ack',
  'transaction',
  'message-id',
  'subscription',
  'accept-version',
  'host',
  'heart-beat',
  '__proto__',
  'constructor',
  'hasOwnProperty',
];

export const headerName: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...HEADER_NAMES) },
  { weight: 1, arbitrary: fc.string({ unit: textUnit, minLength: 1, maxLength: 16 }) },
);

/** How the frame says where its body ends. */
export type BodyEnd = 'content-length' | 'nul' | 'wrong-length' | 'garbage-length';

export interface FrameSpec {
  command: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
  bodyEnd: BodyEnd;
  wrongLength: number;
  /** Escape header text the 1.1/1.2 way (otherwise written raw, as 1.0 does). */
  escape: boolean;
  crlf: boolean;
  /** Heart-beat EOLs after the frame. */
  heartbeats: Array<'lf' | 'crlf'>;
}

export const frameSpec: fc.Arbitrary<FrameSpec> = fc.record({
  command,
  headers: fc.array(fc.tuple(headerName, headerText), { maxLength: 8 }),
  body: fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.string({ maxLength: 64 }).map((s) => new TextEncoder().encode(s)),
    fc.uint8Array({ minLength: 200, maxLength: 2000 }),
  ),
  bodyEnd: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom<BodyEnd>('content-length', 'nul') },
    { weight: 1, arbitrary: fc.constantFrom<BodyEnd>('wrong-length', 'garbage-length') },
  ),
  wrongLength: fc.nat({ max: 4096 }),
  escape: fc.oneof(
    { weight: 4, arbitrary: fc.constant(true) },
    { weight: 1, arbitrary: fc.constant(false) },
  ),
  crlf: fc.boolean(),
  heartbeats: fc.array(fc.constantFrom<'lf' | 'crlf'>('lf', 'crlf'), { maxLength: 3 }),
});

const encoder = new TextEncoder();

/** Write a frame spec as bytes (only roughly valid: that is the point). */
export function encodeSpec(spec: FrameSpec): Uint8Array {
  const eol = spec.crlf ? '\r\n' : '\n';
  const text = (s: string) => (spec.escape ? escapeHeader(s) : s);
  let head = `${spec.command}${eol}`;
  for (const [name, value] of spec.headers) {
    if (name === 'content-length') continue;
    head += `${text(name)}:${text(value)}${eol}`;
  }
  let body = spec.body;
  switch (spec.bodyEnd) {
    case 'content-length':
      head += `content-length:${body.length}${eol}`;
      break;
    case 'nul':
      body = body.filter((b) => b !== 0);
      break;
    case 'wrong-length':
      head += `content-length:${spec.wrongLength}${eol}`;
      break;
    case 'garbage-length':
      head += `content-length:${text(spec.headers[0]?.[1] ?? '-1')}${eol}`;
      break;
  }
  head += eol;
  const trailer = spec.heartbeats.map((h) => (h === 'lf' ? '\n' : '\r\n')).join('');
  return concat([encoder.encode(head), body, Uint8Array.of(0), encoder.encode(trailer)]);
}

export const frameStream: fc.Arbitrary<Uint8Array> = fc
  .array(frameSpec, { minLength: 1, maxLength: 5 })
  .map((specs) => concat(specs.map(encodeSpec)));
