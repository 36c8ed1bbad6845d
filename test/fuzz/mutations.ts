/**
 * Byte-level building blocks shared by the fuzzers: bytes biased towards what
 * matters to a STOMP parser, mutations of a valid byte stream, and random
 * chunkings. Positions are generated as plain numbers and taken modulo the
 * stream length when applied, so they shrink well and stay valid whatever the
 * length of the stream they land on.
 */
import fc from 'fast-check';

/** Bytes that steer a STOMP parser: NUL, EOLs, ':', '\\', escape letters, A-Z, digits, UTF-8 lead bytes. */
export const INTERESTING_BYTES = [
  0x00, 0x0a, 0x0d, 0x3a, 0x5c, 0x63, 0x6e, 0x72, 0x41, 0x45, 0x53, 0x5a, 0x30, 0x39, 0x20, 0x2d,
  0x7f, 0x80, 0xc3, 0xe2, 0xf0, 0xff,
];

export const interestingByte = fc.constantFrom(...INTERESTING_BYTES);

/** Any byte, mostly interesting ones. */
export const biasedByte = fc.oneof(
  { weight: 3, arbitrary: interestingByte },
  { weight: 2, arbitrary: fc.integer({ min: 0x41, max: 0x5a }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }) },
);

export function biasedBytes(maxLength: number): fc.Arbitrary<Uint8Array> {
  return fc.array(biasedByte, { maxLength }).map((bytes) => Uint8Array.from(bytes));
}

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number; to: number }
  | { kind: 'truncate'; at: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: biasedByte }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.array(biasedByte, { minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 64 }),
    to: fc.nat(),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

export function applyMutation(input: Uint8Array, m: Mutation): Uint8Array {
  const n = input.length;
  const at = n === 0 ? 0 : m.at % (n + 1);
  switch (m.kind) {
    case 'flip':
    case 'set': {
      if (n === 0) return input;
      const out = Uint8Array.from(input);
      const i = m.at % n;
      out[i] = m.kind === 'flip' ? out[i]! ^ (1 << m.bit) : m.byte;
      return out;
    }
    case 'insert':
      return concat([input.subarray(0, at), Uint8Array.from(m.bytes), input.subarray(at)]);
    case 'delete':
      return concat([input.subarray(0, at), input.subarray(Math.min(n, at + m.length))]);
    case 'duplicate': {
      const piece = input.subarray(at, Math.min(n, at + m.length));
      const to = n === 0 ? 0 : m.to % (n + 1);
      return concat([input.subarray(0, to), piece, input.subarray(to)]);
    }
    case 'truncate':
      return input.subarray(0, at);
  }
}

export function applyMutations(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = input;
  for (const m of mutations) out = applyMutation(out, m);
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Cut points for splitting a stream; taken modulo the length when applied. */
export const cuts = fc.array(fc.nat(), { maxLength: 16 });

/** Split `input` at the given cut points (each modulo length+1, sorted, deduplicated). Always at least one chunk. */
export function splitAt(input: Uint8Array, points: readonly number[]): Uint8Array[] {
  const n = input.length;
  const at = [...new Set(points.map((p) => p % (n + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let prev = 0;
  for (const p of at) {
    chunks.push(input.subarray(prev, p));
    prev = p;
  }
  chunks.push(input.subarray(prev));
  return chunks;
}
