/**
 * Property-based fuzzing of FrameParser: random byte streams, and valid frames
 * mutated (bits flipped, bytes inserted/deleted/duplicated, truncated) and cut
 * into random chunks, under random versions and random (often tiny) limits.
 *
 * Whatever arrives, push() throws nothing but a well-formed ProtocolError (and
 * then the same one forever), every emitted frame satisfies the frame
 * invariants, memory held stays bounded, frames never alias the caller's
 * chunks, and how the bytes were chunked changes nothing.
 *
 * Budgets: see fuzz-config.ts (FUZZ_RUNS; `npm run fuzz` runs many more).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../server/src/protocol/errors.js';
import type { Frame } from '../../server/src/protocol/frame.js';
import { DEFAULT_PARSER_LIMITS, type ParserLimits } from '../../server/src/protocol/limits.js';
import { FrameParser } from '../../server/src/protocol/parser.js';
import { frameStream, VERSIONS, type Version } from './frame-arbitraries.js';
import { PARSER_RUNS, params, runProperty, testTimeout, timeBudget } from './fuzz-config.js';
import { applyMutations, biasedBytes, cuts, mutation, splitAt } from './mutations.js';

const BUDGET_MS = 3_000;

const PROTOCOL_ERROR_CODES = new Set([
  'frame-too-large',
  'too-many-headers',
  'header-line-too-long',
  'invalid-header',
  'invalid-escape',
  'invalid-content-length',
  'missing-frame-terminator',
  'invalid-command',
]);

const limitsArb: fc.Arbitrary<ParserLimits> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ ...DEFAULT_PARSER_LIMITS }) },
  {
    weight: 3,
    arbitrary: fc.record({
      maxFrameSize: fc.integer({ min: 1, max: 3000 }),
      maxHeaders: fc.integer({ min: 1, max: 12 }),
      maxHeaderLineLength: fc.integer({ min: 1, max: 200 }),
    }),
  },
);

interface Setup {
  limits: ParserLimits;
  /** Version the parser starts with (the session starts at 1.0, but a parser can be set to anything). */
  startVersion: Version;
  /** Version switched to after each CONNECT/STOMP frame, as the session does after negotiating. */
  connectVersion: Version;
}

const setupArb: fc.Arbitrary<Setup> = fc.record({
  limits: limitsArb,
  startVersion: fc.constantFrom(...VERSIONS),
  connectVersion: fc.constantFrom(...VERSIONS),
});

interface Snapshot {
  command: string;
  headers: Record<string, string>;
  body: Buffer;
}

interface Outcome {
  frames: Snapshot[];
  error: ProtocolError | undefined;
  /** Invariant violations found while parsing (collected, not thrown, so push() sees no foreign throws). */
  violations: string[];
}

function snapshot(frame: Frame): Snapshot {
  return { command: frame.command, headers: { ...frame.headers }, body: Buffer.from(frame.body) };
}

const RAW_VERSION_COMMANDS = new Set(['CONNECT', 'STOMP', 'CONNECTED']);

/** Invariants of one emitted frame. `version`: the escaping rules in force when it was parsed. */
function frameViolations(frame: Frame, limits: ParserLimits, version: Version): string[] {
  const bad: string[] = [];
  const { command, headers, body } = frame;
  if (typeof command !== 'string' || !/^[A-Z]+$/.test(command)) {
    bad.push(`command not A-Z: ${JSON.stringify(command)}`);
  } else if (command.length > limits.maxHeaderLineLength) {
    bad.push(`command longer than maxHeaderLineLength (${command.length})`);
  }
  if (typeof headers !== 'object' || headers === null || Object.getPrototypeOf(headers) !== null) {
    bad.push('headers is not a null-prototype object');
    return bad;
  }
  const names = Object.keys(headers);
  if (names.length > limits.maxHeaders) bad.push(`${names.length} headers > maxHeaders`);
  const raw = version === '1.0' || RAW_VERSION_COMMANDS.has(command);
  for (const name of names) {
    const value = headers[name];
    if (name.length === 0) bad.push('empty header name');
    if (typeof value !== 'string') bad.push(`header ${JSON.stringify(name)} is not a string`);
    else if (raw && value.includes('\n')) bad.push(`raw header value holds LF: ${name}`);
    if (raw && (name.includes('\n') || name.includes(':'))) {
      bad.push(`raw header name holds LF or colon: ${JSON.stringify(name)}`);
    }
  }
  if (!Buffer.isBuffer(body)) {
    bad.push('body is not a Buffer');
    return bad;
  }
  const declared = headers['content-length'];
  if (declared !== undefined) {
    if (!/^\d+$/.test(declared)) bad.push(`frame emitted with content-length ${declared}`);
    else if (Number(declared) !== body.length) {
      bad.push(`content-length ${declared} but body of ${body.length} bytes`);
    }
  } else if (body.includes(0)) {
    bad.push('NUL-terminated body contains a NUL');
  }
  // Smallest possible size of the frame on the wire: command, its LF, the blank line, the body.
  if (command.length + 2 + body.length > limits.maxFrameSize) {
    bad.push(`frame of at least ${command.length + 2 + body.length} bytes > maxFrameSize`);
  }
  return bad;
}

function errorViolations(err: unknown): string[] {
  if (!(err instanceof ProtocolError)) {
    return [`push() threw a non-ProtocolError: ${err instanceof Error ? err.stack : String(err)}`];
  }
  const bad: string[] = [];
  if (!PROTOCOL_ERROR_CODES.has(err.code)) bad.push(`unknown ProtocolError code ${err.code}`);
  // `message` becomes an ERROR header, written unescaped before CONNECT: no line breaks, no NUL.
  if (/[\r\n\0]/.test(err.message)) bad.push(`error message holds CR/LF/NUL: ${err.message}`);
  // Bounded whatever the input (peer text is quoted, cut to 32 characters, each at most \uXXXX).
  if (err.message.length > 256) bad.push(`error message too long (${err.message.length})`);
  if (typeof err.detail !== 'string' || err.detail.includes('\0'))
    bad.push('error detail missing or holds NUL');
  return bad;
}

/** Private buffers of the parser, when they are still called that: their capacity bounds its memory. */
function heldCapacity(parser: FrameParser): { line: number; body: number } {
  const inner = parser as unknown as { lineBuf?: unknown; bodyBuf?: unknown; body?: unknown };
  const size = (b: unknown) => (Buffer.isBuffer(b) ? b.length : 0);
  return { line: size(inner.lineBuf), body: Math.max(size(inner.bodyBuf), size(inner.body)) };
}

/**
 * Feed `chunks` (each a private copy, scribbled over right after its push so any
 * frame still pointing into it would show) and check everything on the way.
 */
function parse(chunks: readonly Uint8Array[], setup: Setup): Outcome {
  const { limits } = setup;
  const frames: Snapshot[] = [];
  const emitted: Frame[] = [];
  const violations: string[] = [];
  let version: Version = setup.startVersion;
  const parser = new FrameParser((frame) => {
    violations.push(...frameViolations(frame, limits, version));
    emitted.push(frame);
    frames.push(snapshot(frame));
    if (frame.command === 'CONNECT' || frame.command === 'STOMP') {
      version = setup.connectVersion;
      parser.version = version;
    }
  }, limits);
  parser.version = version;
  const bound = limits.maxFrameSize + limits.maxHeaderLineLength;
  let error: ProtocolError | undefined;
  for (const original of chunks) {
    const chunk = Uint8Array.from(original);
    try {
      parser.push(chunk);
    } catch (err) {
      violations.push(...errorViolations(err));
      if (err instanceof ProtocolError) error = err;
      // Dead parser: every later push throws that same error.
      try {
        parser.push(Uint8Array.of(0x41));
        violations.push('push() after a ProtocolError did not throw');
      } catch (again) {
        if (again !== err) violations.push('push() after a ProtocolError threw a different error');
      }
      break;
    } finally {
      chunk.fill(0xee);
    }
    if (parser.bufferedBytes > bound || parser.bufferedBytes < 0) {
      violations.push(`bufferedBytes ${parser.bufferedBytes} outside [0, ${bound}]`);
    }
    const held = heldCapacity(parser);
    if (held.line > limits.maxHeaderLineLength + 1) {
      violations.push(`line buffer of ${held.line} bytes > maxHeaderLineLength + 1`);
    }
    if (held.body > limits.maxFrameSize) {
      violations.push(`body buffer of ${held.body} bytes > maxFrameSize`);
    }
  }
  // Frames must own their bodies: the chunks they came from have been overwritten.
  emitted.forEach((frame, i) => {
    if (!frame.body.equals(frames[i]!.body)) {
      violations.push(
        `frame #${i} (${frame.command}) body changed when the input chunk was reused`,
      );
    }
  });
  return { frames, error, violations };
}

function describeOutcome(o: Outcome): string {
  return JSON.stringify({
    frames: o.frames.map((f) => ({ ...f, body: f.body.toString('latin1') })),
    error: o.error && { code: o.error.code, message: o.error.message },
  });
}

function expectNone(violations: readonly string[], what: string): void {
  if (violations.length > 0) throw new Error(`${what}:\n  ${violations.join('\n  ')}`);
}

/** The core property: invariants hold, and chunking (random, one piece, byte by byte) changes nothing. */
function checkStream(input: Uint8Array, splits: readonly number[], setup: Setup): void {
  const chunked = parse(splitAt(input, splits), setup);
  expectNone(chunked.violations, 'pushed in random chunks');
  const whole = parse([input], setup);
  expectNone(whole.violations, 'pushed in one chunk');
  expect(
    describeOutcome({ ...chunked, error: undefined }),
    'same frames whatever the chunking',
  ).toBe(describeOutcome({ ...whole, error: undefined }));
  expect(chunked.error === undefined, 'same fate (error or not) whatever the chunking').toBe(
    whole.error === undefined,
  );
  if (input.length <= 512) {
    const bytes = parse(
      Array.from(input, (b) => Uint8Array.of(b)),
      setup,
    );
    expectNone(bytes.violations, 'pushed byte by byte');
    expect(describeOutcome({ ...bytes, error: undefined })).toBe(
      describeOutcome({ ...whole, error: undefined }),
    );
    expect(bytes.error === undefined).toBe(whole.error === undefined);
  }
}

describe('FrameParser fuzzing (fast-check)', () => {
  const budget = timeBudget(BUDGET_MS);
  const timeout = testTimeout(BUDGET_MS);

  it(
    'random byte streams',
    () => {
      runProperty(
        'parser: random bytes',
        fc.property(biasedBytes(1024), cuts, setupArb, (input, splits, setup) =>
          checkStream(input, splits, setup),
        ),
        params(PARSER_RUNS, budget),
      );
    },
    timeout,
  );

  it(
    'random bytes after a valid CONNECT (past the command check)',
    () => {
      const connect = new TextEncoder().encode('CONNECT\naccept-version:1.2\n\n\0');
      runProperty(
        'parser: CONNECT + random bytes',
        fc.property(biasedBytes(1024), cuts, setupArb, (tail, splits, setup) => {
          const input = new Uint8Array(connect.length + tail.length);
          input.set(connect);
          input.set(tail, connect.length);
          checkStream(input, splits, setup);
        }),
        params(PARSER_RUNS, budget),
      );
    },
    timeout,
  );

  it(
    'valid frames, unmutated and mutated',
    () => {
      runProperty(
        'parser: mutated frames',
        fc.property(
          frameStream,
          fc.array(mutation, { maxLength: 6 }),
          cuts,
          setupArb,
          (stream, mutations, splits, setup) =>
            checkStream(applyMutations(stream, mutations), splits, setup),
        ),
        params(PARSER_RUNS, budget),
      );
    },
    timeout,
  );

  it(
    'oversized input under default limits: memory stays bounded while bytes stream in',
    () => {
      const limits = { ...DEFAULT_PARSER_LIMITS };
      const bound = limits.maxFrameSize + limits.maxHeaderLineLength;
      runProperty(
        'parser: oversized input',
        fc.property(
          // Where the flood lands: command line, header line, header value, NUL body, fixed body.
          fc.constantFrom(
            '',
            'SEND\n',
            'SEND\nx:',
            'SEND\ndestination:/queue/a\n\n',
            'SEND\ncontent-length:4194000\n\n',
          ),
          fc.constantFrom(0x41, 0x61, 0x0d, 0x3a, 0x5c, 0x0a),
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: 1, max: 128 }),
          (prefix, fill, sizeMiB, chunkKiB) => {
            const parser = new FrameParser(() => {}, limits);
            parser.version = '1.2';
            const chunk = Buffer.alloc(chunkKiB * 1024, fill);
            let failed: unknown;
            const feed = (bytes: Uint8Array) => {
              try {
                parser.push(bytes);
              } catch (err) {
                failed = err;
              }
            };
            feed(Buffer.from(prefix));
            for (let fed = 0; failed === undefined && fed < sizeMiB * 1024 * 1024; ) {
              feed(chunk);
              fed += chunk.length;
              expect(parser.bufferedBytes).toBeLessThanOrEqual(bound);
              const held = heldCapacity(parser);
              expect(held.line).toBeLessThanOrEqual(limits.maxHeaderLineLength + 1);
              expect(held.body).toBeLessThanOrEqual(limits.maxFrameSize);
            }
            if (failed !== undefined) expectNone(errorViolations(failed), 'flood');
          },
        ),
        params(Math.max(10, Math.floor(PARSER_RUNS / 10)), budget),
      );
    },
    timeout,
  );
});
