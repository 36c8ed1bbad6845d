/**
 * Runtime values and the coercions between them. STOMP header values are always strings, so a
 * selector's literals decide how a header is read:
 *
 * - number vs string: the string is converted when it "looks numeric" (toNumber); otherwise the
 *   comparison is FALSE. ActiveMQ Classic does this only with its `convert_string_expressions:`
 *   prefix (activemq.apache.org/selectors, "Selecting Against STOMP messages"); for a STOMP
 *   broker it is the only useful reading, so Stompede always does it.
 * - string vs string: exact equality; <, <=, >, >= compare UTF-16 code units, like Java's
 *   String.compareTo, which ActiveMQ uses when two string values meet (no numeric conversion).
 * - boolean vs string: 'true' / 'false' (any case) convert; any other string compares FALSE.
 * - boolean vs boolean: only = and <> (JMS 1.1 §3.8.1.1); ordering them is FALSE.
 * - any other mix of types compares FALSE ("If the comparison of non-like type values is
 *   attempted, the value of the operation is false", JMS 1.1 §3.8.1.1).
 * - a missing value (null) makes any comparison UNKNOWN.
 */
export type Value = string | number | boolean | null;
/** SQL three-valued logic: TRUE, FALSE, or UNKNOWN as null. */
export type Tri = boolean | null;
export type Headers = Record<string, string>;
export type Evaluate = (headers: Headers) => Value;
export type Test = (headers: Headers) => Tri;

const ZERO = 48;
const NINE = 57;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;

/**
 * The number a header value spells, or NaN. Accepted: optional sign, decimal digits with an
 * optional fraction and exponent ("12", "-3.5", ".5", "5.", "1e3"), finite. Rejected although
 * Number() takes them: "", surrounding whitespace, "Infinity", "0x1f", "0o7", "0b1".
 */
export function toNumber(s: string): number {
  const n = Number(s);
  if (!Number.isFinite(n)) return Number.NaN;
  const first = s.charCodeAt(0);
  const last = s.charCodeAt(s.length - 1);
  if (!((first >= ZERO && first <= NINE) || first === PLUS || first === MINUS || first === DOT)) {
    return Number.NaN; // also catches "" (NaN char code) and leading whitespace
  }
  if (!((last >= ZERO && last <= NINE) || last === DOT)) return Number.NaN;
  if (first === ZERO && s.length > 2) {
    const radix = s.charCodeAt(1) | 0x20; // lower-cased
    if (radix === 120 || radix === 111 || radix === 98) return Number.NaN; // x, o, b
  }
  return n;
}

/** true / false for 'true' / 'false' in any letter case; null for any other string. */
export function toBoolean(s: string): Tri {
  if (s.length === 4 && matchesLower(s, 'true')) return true;
  if (s.length === 5 && matchesLower(s, 'false')) return false;
  return null;
}

// `| 0x20` folds ASCII upper case to lower case without allocating; the targets are all letters
// below 0x80, which no other code unit folds onto.
function matchesLower(s: string, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    if ((s.charCodeAt(i) | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** `a = b` for two present values. */
export function equals(a: Exclude<Value, null>, b: Exclude<Value, null>): boolean {
  if (typeof a === typeof b) return a === b;
  if (typeof a === 'number') return typeof b === 'string' && a === toNumber(b);
  if (typeof b === 'number') return typeof a === 'string' && toNumber(a) === b;
  if (typeof a === 'boolean') return toBoolean(b as string) === a;
  return toBoolean(a as string) === b;
}

/** Sign of a - b for two present values, or NaN when they cannot be ordered. */
export function order(a: Exclude<Value, null>, b: Exclude<Value, null>): number {
  let x: number;
  let y: number;
  if (typeof a === 'number') {
    x = a;
    y = typeof b === 'number' ? b : typeof b === 'string' ? toNumber(b) : Number.NaN;
  } else if (typeof b === 'number') {
    x = typeof a === 'string' ? toNumber(a) : Number.NaN;
    y = b;
  } else if (typeof a === 'string' && typeof b === 'string') {
    return a < b ? -1 : a > b ? 1 : 0;
  } else {
    return Number.NaN; // booleans are never ordered
  }
  return x < y ? -1 : x > y ? 1 : x === y ? 0 : Number.NaN;
}

/** Three-valued comparison functions, one per operator; `<>` is exactly NOT `=` (ActiveMQ). */
export type Compare = (a: Value, b: Value) => Tri;
export const COMPARE: Readonly<Record<'=' | '<>' | '<' | '<=' | '>' | '>=', Compare>> = {
  '=': (a, b) => (a === null || b === null ? null : equals(a, b)),
  '<>': (a, b) => (a === null || b === null ? null : !equals(a, b)),
  '<': (a, b) => (a === null || b === null ? null : order(a, b) < 0),
  '<=': (a, b) => (a === null || b === null ? null : order(a, b) <= 0),
  '>': (a, b) => (a === null || b === null ? null : order(a, b) > 0),
  '>=': (a, b) => (a === null || b === null ? null : order(a, b) >= 0),
};

/** Two-valued numeric tests for the fast paths; NaN makes every test but <> false. */
export const NUMERIC: Readonly<Record<keyof typeof COMPARE, (a: number, b: number) => boolean>> = {
  '=': (a, b) => a === b,
  '<>': (a, b) => a !== b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** The operator that gives the same result with its operands swapped: 5 < x is x > 5. */
export const MIRROR = {
  '=': '=',
  '<>': '<>',
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
} as const;
