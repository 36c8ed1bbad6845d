import { quote, SelectorError } from './errors.js';

export type TokenType = 'ident' | 'string' | 'number' | 'keyword' | 'op' | 'eof';

export interface Token {
  readonly type: TokenType;
  /**
   * ident: the header name (double-quote escapes removed); string: the decoded literal;
   * keyword: the word in upper case; op: the operator; number and eof: the source text.
   */
  readonly value: string;
  /** The numeric value of a number token; NaN for every other token. */
  readonly number: number;
  /** True for an identifier written in double quotes ("content-type"). */
  readonly quoted: boolean;
  /** 0-based offsets of the token in the selector text. */
  readonly pos: number;
  readonly end: number;
}

const KEYWORDS = new Set([
  'NOT',
  'AND',
  'OR',
  'BETWEEN',
  'LIKE',
  'ESCAPE',
  'IN',
  'IS',
  'TRUE',
  'FALSE',
  'NULL',
]);

/**
 * ActiveMQ Classic lets STOMP clients opt into string-to-number conversion with this prefix.
 * Stompede always converts numeric-looking header values (see values.ts), so the prefix is
 * accepted and ignored, which keeps selectors written for ActiveMQ working unchanged.
 */
const CONVERT_PREFIX = 'convert_string_expressions:';

const OPERATORS = ['<>', '<=', '>=', '<', '>', '=', '+', '-', '*', '/', '%', '(', ')', ','];

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isHexDigit = (c: string): boolean =>
  isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
const isSpace = (c: string): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';

// Identifiers follow Java's identifier rules (JMS 1.1 §3.8.1.1), approximated with Unicode's
// ID_Start/ID_Continue plus '$' and '_'. ActiveMQ Classic itself accepts only ASCII
// [A-Za-z_$][A-Za-z0-9_$]*; no '.', '-' or ':' (see quoted identifiers below).
const ID_START = /^[\p{ID_Start}$_]$/u;
const ID_PART = /^[\p{ID_Continue}$\u200c\u200d]$/u;

/** Splits a selector into tokens, ending with one 'eof' token. Throws SelectorError. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = text.startsWith(CONVERT_PREFIX) ? CONVERT_PREFIX.length : 0;

  const fail = (pos: number, expected: string, found: string, example?: string, hint?: string) =>
    new SelectorError(text, pos, expected, found, example, hint);
  const push = (type: TokenType, value: string, pos: number, number = Number.NaN, quoted = false) =>
    tokens.push({ type, value, number, quoted, pos, end: i });
  const codePointAt = (at: number): string => String.fromCodePoint(text.codePointAt(at) ?? 0);
  const isIdStart = (at: number): boolean => at < text.length && ID_START.test(codePointAt(at));
  const isIdPart = (at: number): boolean => at < text.length && ID_PART.test(codePointAt(at));
  /** The offset just past the run of identifier-part characters starting at `at`. */
  const skipIdPart = (at: number): number => {
    while (isIdPart(at)) at += text.codePointAt(at)! > 0xffff ? 2 : 1;
    return at;
  };

  while (i < text.length) {
    const c = text[i]!;
    const start = i;
    if (isSpace(c)) {
      i++;
    } else if (text.startsWith('--', i)) {
      // SQL line comment, as ActiveMQ's grammar allows.
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
    } else if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      if (close === -1) throw fail(start, "'*/' to close the comment", 'end of selector');
      i = close + 2;
    } else if (c === "'") {
      push('string', readQuoted("'", start), start);
    } else if (c === '"') {
      // Quoted identifier (SQL style; not in JMS or ActiveMQ). STOMP header names often contain
      // '-', '.' or ':' (content-type, reply-to, x.trace), which an identifier cannot; writing
      // the name in double quotes ("content-type") names that header exactly, with no keyword
      // meaning and no JMS-name mapping ("JMSPriority" is the header literally called that).
      const name = readQuoted('"', start);
      if (name === '') {
        throw fail(
          start,
          'a header name between the double quotes',
          '\'""\'',
          '"content-type" = \'text/plain\'',
        );
      }
      push('ident', name, start, Number.NaN, true);
    } else if (isDigit(c) || (c === '.' && isDigit(text[i + 1] ?? ''))) {
      const value = readNumber(start);
      push('number', text.slice(start, i), start, value);
    } else if (isIdStart(i)) {
      i = skipIdPart(i);
      const word = text.slice(start, i);
      const upper = word.toUpperCase();
      if (KEYWORDS.has(upper)) {
        push('keyword', upper, start);
      } else {
        rejectPunctuatedName(start);
        push('ident', word, start);
      }
    } else if (text.startsWith('!=', i)) {
      throw fail(start, "'<>' (the SQL not-equal operator)", "'!='", "color <> 'red'");
    } else {
      const op = OPERATORS.find((o) => text.startsWith(o, i));
      if (op === undefined) {
        throw fail(start, 'an identifier, literal, operator or parenthesis', quote(codePointAt(i)));
      }
      i += op.length;
      push('op', op, start);
    }
  }
  tokens.push({
    type: 'eof',
    value: '',
    number: Number.NaN,
    quoted: false,
    pos: text.length,
    end: text.length,
  });
  return tokens;

  /** Reads a quoted run starting at the opening `q`; a doubled `q` stands for one. */
  function readQuoted(q: string, start: number): string {
    let value = '';
    i = start + 1;
    for (;;) {
      const close = text.indexOf(q, i);
      if (close === -1) {
        const what = q === "'" ? 'string' : 'quoted header name';
        throw fail(
          start,
          `a closing ${q} for the ${what} that starts here`,
          'end of selector',
          "name = 'O''Brien'",
        );
      }
      value += text.slice(i, close);
      i = close + 1;
      if (text[i] !== q) return value;
      value += q;
      i++;
    }
  }

  /**
   * Reads a JMS numeric literal (Java syntax as ActiveMQ accepts it): decimal with optional L
   * suffix, 0x hexadecimal, 0-prefixed octal, or approximate (1.5, 5., .5, 1e3, 7.5E-2).
   */
  function readNumber(start: number): number {
    const digits = () => {
      while (isDigit(text[i] ?? '')) i++;
    };
    const exponent = (): boolean => {
      const e = text[i];
      if (e !== 'e' && e !== 'E') return false;
      let j = i + 1;
      if (text[j] === '+' || text[j] === '-') j++;
      if (!isDigit(text[j] ?? '')) return false;
      i = j;
      digits();
      return true;
    };
    let value: number;
    if (text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
      i += 2;
      while (isHexDigit(text[i] ?? '')) i++;
      value = i > start + 2 ? Number.parseInt(text.slice(start + 2, i), 16) : Number.NaN;
      if (text[i] === 'l' || text[i] === 'L') i++;
    } else {
      digits();
      if (text[i] === '.') {
        i++;
        digits();
        exponent();
        value = Number(text.slice(start, i));
      } else if (exponent()) {
        value = Number(text.slice(start, i));
      } else {
        const literal = text.slice(start, i);
        value =
          literal.length > 1 && literal[0] === '0'
            ? /^[0-7]+$/.test(literal)
              ? Number.parseInt(literal, 8)
              : Number.NaN
            : Number(literal);
        if (text[i] === 'l' || text[i] === 'L') i++;
      }
    }
    // A number must not run straight into a name or another '.': 12abc, 09, 0x, 1.2.3.
    if (Number.isNaN(value) || isIdPart(i) || text[i] === '.') {
      while (isIdPart(i) || text[i] === '.') i++;
      throw fail(
        start,
        'a number (such as 42, 42L, 0x2A, 052, 4.2 or 4.2E1)',
        quote(text.slice(start, i)),
        'weight > 2500 AND ratio < 0.75',
      );
    }
    return value;
  }

  /**
   * `content-type = 'x'` would otherwise parse as the subtraction `content - type`, and silently
   * never match. A '-', '.' or ':' glued between two names is therefore an error pointing at the
   * double-quoted form; subtraction needs spaces or a non-name right operand (`a - b`, `a-1`).
   */
  function rejectPunctuatedName(start: number): void {
    let j = i;
    let glued = false;
    for (;;) {
      const c = text[j];
      if (c !== '-' && c !== '.' && c !== ':') break;
      if (c === '-' && !isIdStart(j + 1)) break;
      glued = true;
      j = skipIdPart(j + 1);
    }
    if (!glued) return;
    const name = text.slice(start, j);
    throw fail(
      start,
      `the double-quoted header name "${name}"`,
      quote(name),
      `"${name}" = 'some value'`,
      `Header names containing '-', '.' or ':' must be written in double quotes.${
        name.includes('-') ? " To subtract, put spaces around '-' (a - b)." : ''
      }`,
    );
  }
}
