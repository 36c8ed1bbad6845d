import type { ArithmeticOp, CompareOp, Node } from './ast.js';
import { kindOf } from './ast.js';
import { GENERAL_EXAMPLE, quote, SelectorError } from './errors.js';
import { type Token, tokenize } from './lexer.js';
import { toBoolean, toNumber } from './values.js';

const COMPARE_OPS: ReadonlySet<string> = new Set(['=', '<>', '<', '<=', '>', '>=']);
const ORDERING_OPS: ReadonlySet<string> = new Set(['<', '<=', '>', '>=']);

const EXAMPLES = {
  compare: "weight > 2500 AND color <> 'red'",
  between: 'age BETWEEN 15 AND 19',
  like: "phone LIKE '12%3' OR name LIKE 'x\\_%' ESCAPE '\\'",
  in: "Country IN ('UK', 'US', 'France')",
  is: 'prop_name IS NULL OR prop_name IS NOT NULL',
  arithmetic: 'price * quantity > 1000',
};

const CONDITION = 'a condition (a comparison, LIKE, IN, BETWEEN, IS NULL, TRUE or FALSE)';
const OPERAND = "an operand (a header name, a 'string', a number, TRUE, FALSE or '(')";

/**
 * Parses a selector into a tree, by recursive descent with SQL precedence, loosest first:
 * OR, AND, NOT, then one comparison / [NOT] BETWEEN / [NOT] LIKE / [NOT] IN / IS [NOT] NULL
 * (comparisons do not chain: write (a = b) = TRUE), then + -, then * / %, then unary + -.
 *
 * Besides syntax it rejects, as ActiveMQ Classic does when it builds its expression tree:
 * operands of AND / OR / NOT and the whole selector that cannot be boolean; string or boolean
 * operands of < <= > >= and BETWEEN; the NULL literal anywhere but IS [NOT] NULL; a left side of
 * IN that is not an identifier; and an ESCAPE that is not one character. It also rejects
 * comparisons that could never be TRUE (a number with a boolean, JMSPriority = 'high').
 */
/** Deepest nesting a selector may use (real selectors use a handful). */
const MAX_NESTING = 100;

export function parse(text: string): Node {
  const tokens = tokenize(text);
  let at = 0;

  const peek = (): Token => tokens[at]!;
  const advance = (): Token => tokens[at++]!;
  const isOp = (op: string): boolean => peek().type === 'op' && peek().value === op;
  const isKeyword = (word: string): boolean => peek().type === 'keyword' && peek().value === word;
  const source = (node: Node): string => text.slice(node.pos, node.end);
  // Recursive descent: bound the nesting so a hostile selector is a SelectorError, not a stack overflow.
  let depth = 0;
  const enter = (token: Token): void => {
    if (++depth > MAX_NESTING) {
      throw fail(token, `at most ${MAX_NESTING} nested parentheses, NOT or signs`, GENERAL_EXAMPLE);
    }
  };

  const describe = (token: Token): string =>
    token.type === 'eof' ? 'end of selector' : quote(text.slice(token.pos, token.end));
  const fail = (token: Token, expected: string, example = GENERAL_EXAMPLE, hint?: string) =>
    new SelectorError(text, token.pos, expected, describe(token), example, hint);
  const failAt = (node: Node, expected: string, example = GENERAL_EXAMPLE, hint?: string) =>
    new SelectorError(text, node.pos, expected, quote(source(node)), example, hint);

  const expectOp = (op: string, expected: string, example?: string): Token => {
    if (!isOp(op)) throw fail(peek(), expected, example);
    return advance();
  };
  const expectKeyword = (word: string, expected: string, example?: string): Token => {
    if (!isKeyword(word)) throw fail(peek(), expected, example);
    return advance();
  };
  const expectString = (expected: string, example: string): Token => {
    if (peek().type !== 'string') throw fail(peek(), expected, example);
    return advance();
  };

  if (peek().type === 'eof') {
    throw new SelectorError(text, 0, CONDITION, 'an empty selector', GENERAL_EXAMPLE);
  }
  const root = condition(orExpression());
  if (peek().type !== 'eof') {
    throw fail(peek(), kindOf(root) === 'boolean' ? 'AND, OR or end of selector' : 'an operator');
  }
  return root;

  /** Checks that `node` can stand where a condition is needed and returns it. */
  function condition(node: Node): Node {
    const kind = kindOf(node);
    if (kind === 'boolean' || (node.kind === 'identifier' && kind === 'string')) return node;
    throw failAt(node, CONDITION);
  }

  function orExpression(): Node {
    let left = andExpression();
    while (isKeyword('OR')) {
      advance();
      const right = andExpression();
      left = {
        kind: 'or',
        left: condition(left),
        right: condition(right),
        pos: left.pos,
        end: right.end,
      };
    }
    return left;
  }

  function andExpression(): Node {
    let left = notExpression();
    while (isKeyword('AND')) {
      advance();
      const right = notExpression();
      left = {
        kind: 'and',
        left: condition(left),
        right: condition(right),
        pos: left.pos,
        end: right.end,
      };
    }
    return left;
  }

  function notExpression(): Node {
    if (!isKeyword('NOT')) return predicate();
    const not = advance();
    enter(not);
    const operand = condition(notExpression());
    depth--;
    return { kind: 'not', operand, pos: not.pos, end: operand.end };
  }

  function predicate(): Node {
    const value = additive();
    const token = peek();
    if (token.type === 'op' && COMPARE_OPS.has(token.value)) {
      advance();
      const right = additive();
      const op = token.value as CompareOp;
      checkComparison(op, value, right);
      return { kind: 'compare', op, left: value, right, pos: value.pos, end: right.end };
    }
    if (token.type !== 'keyword') return value;
    if (token.value === 'IS') {
      advance();
      const negated = isKeyword('NOT');
      if (negated) advance();
      const end = expectKeyword('NULL', negated ? 'NULL' : 'NULL or NOT NULL', EXAMPLES.is).end;
      return { kind: 'isNull', negated, value, pos: value.pos, end };
    }
    const negated = token.value === 'NOT';
    if (negated) {
      advance();
      if (!isKeyword('BETWEEN') && !isKeyword('LIKE') && !isKeyword('IN')) {
        throw fail(peek(), 'BETWEEN, LIKE or IN after NOT', EXAMPLES.in);
      }
    }
    if (isKeyword('BETWEEN')) return between(value, negated);
    if (isKeyword('LIKE')) return like(value, negated);
    if (isKeyword('IN')) return inList(value, negated);
    return value;
  }

  function between(value: Node, negated: boolean): Node {
    advance();
    const low = additive();
    expectKeyword('AND', "AND (as in 'x BETWEEN 1 AND 5')", EXAMPLES.between);
    const high = additive();
    for (const operand of [value, low, high]) orderable(operand, EXAMPLES.between);
    return { kind: 'between', negated, value, low, high, pos: value.pos, end: high.end };
  }

  function like(value: Node, negated: boolean): Node {
    advance();
    if (kindOf(value) !== 'string') {
      throw failAt(value, 'a string value on the left of LIKE', EXAMPLES.like);
    }
    const pattern = expectString("a 'string' pattern after LIKE", EXAMPLES.like);
    let escapeChar: string | null = null;
    let end = pattern.end;
    if (isKeyword('ESCAPE')) {
      advance();
      const token = expectString("a one-character 'string' after ESCAPE", EXAMPLES.like);
      if ([...token.value].length !== 1) {
        throw fail(token, "a one-character 'string' after ESCAPE", EXAMPLES.like);
      }
      escapeChar = token.value;
      end = token.end;
    }
    return {
      kind: 'like',
      negated,
      value,
      pattern: pattern.value,
      escape: escapeChar,
      pos: value.pos,
      end,
    };
  }

  function inList(value: Node, negated: boolean): Node {
    advance();
    if (value.kind !== 'identifier' || kindOf(value) !== 'string') {
      throw failAt(value, 'a string-valued header name on the left of IN', EXAMPLES.in);
    }
    expectOp('(', "'(' after IN", EXAMPLES.in);
    const items: string[] = [];
    for (;;) {
      items.push(expectString("a 'string' in the IN list", EXAMPLES.in).value);
      if (!isOp(',')) break;
      advance();
    }
    const end = expectOp(')', "',' or ')' in the IN list", EXAMPLES.in).end;
    return { kind: 'in', negated, value, items, pos: value.pos, end };
  }

  function additive(): Node {
    let left = multiplicative();
    while (isOp('+') || isOp('-')) {
      const op = advance().value as ArithmeticOp;
      const right = multiplicative();
      left = arithmetic(op, left, right);
    }
    return left;
  }

  function multiplicative(): Node {
    let left = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = advance().value as ArithmeticOp;
      const right = unary();
      left = arithmetic(op, left, right);
    }
    return left;
  }

  function arithmetic(op: ArithmeticOp, left: Node, right: Node): Node {
    numeric(left);
    numeric(right);
    return { kind: 'arithmetic', op, left, right, pos: left.pos, end: right.end };
  }

  function unary(): Node {
    if (!isOp('+') && !isOp('-')) return primary();
    const sign = advance();
    enter(sign);
    const operand = numeric(unary());
    depth--;
    if (sign.value === '+') return { ...operand, pos: sign.pos };
    if (operand.kind === 'literal') {
      return {
        kind: 'literal',
        value: -(operand.value as number),
        pos: sign.pos,
        end: operand.end,
      };
    }
    return { kind: 'negate', operand, pos: sign.pos, end: operand.end };
  }

  function primary(): Node {
    const token = peek();
    const { pos, end } = token;
    switch (token.type) {
      case 'number':
        advance();
        return { kind: 'literal', value: token.number, pos, end };
      case 'string':
        advance();
        return { kind: 'literal', value: token.value, pos, end };
      case 'ident':
        advance();
        return { kind: 'identifier', name: token.value, quoted: token.quoted, pos, end };
      case 'keyword':
        if (token.value === 'TRUE' || token.value === 'FALSE') {
          advance();
          return { kind: 'literal', value: token.value === 'TRUE', pos, end };
        }
        if (token.value === 'NULL') {
          throw fail(
            token,
            OPERAND,
            EXAMPLES.is,
            'NULL can only be tested with IS NULL or IS NOT NULL.',
          );
        }
        throw fail(token, OPERAND);
      case 'op':
        if (token.value === '(') {
          advance();
          enter(token);
          const inner = orExpression();
          depth--;
          const close = expectOp(')', "')'");
          return { ...inner, pos, end: close.end };
        }
        throw fail(token, OPERAND);
      default:
        throw fail(token, OPERAND);
    }
  }

  /** Operands of + - * / % and unary minus: numbers, or headers read as numbers. */
  function numeric(node: Node): Node {
    const kind = kindOf(node);
    if (kind === 'number' || (kind === 'string' && node.kind !== 'literal')) return node;
    throw failAt(node, 'a number or a header name', EXAMPLES.arithmetic);
  }

  /** Operands of < <= > >= and BETWEEN: anything numeric, or a header (a string at runtime). */
  function orderable(node: Node, example: string): void {
    const kind = kindOf(node);
    if (kind === 'number' || (kind === 'string' && node.kind !== 'literal')) return;
    const hint =
      kind === 'string'
        ? 'Strings can only be compared with = and <> (JMS), or matched with LIKE.'
        : 'Booleans can only be compared with = and <>.';
    throw failAt(node, 'a number or a header name', example, hint);
  }

  function checkComparison(op: CompareOp, left: Node, right: Node): void {
    if (ORDERING_OPS.has(op)) {
      orderable(left, EXAMPLES.compare);
      orderable(right, EXAMPLES.compare);
      return;
    }
    const l = kindOf(left);
    const r = kindOf(right);
    if ((l === 'boolean' && r === 'number') || (l === 'number' && r === 'boolean')) {
      throw failAt(right, `a ${l} to compare with ${quote(source(left))}`, EXAMPLES.compare);
    }
    // A string literal facing a number or a boolean must convert to one, or the comparison is
    // always FALSE: reject it here rather than silently never match.
    for (const [lit, other, otherKind] of [
      [left, right, r],
      [right, left, l],
    ] as const) {
      if (lit.kind !== 'literal' || typeof lit.value !== 'string') continue;
      if (otherKind === 'number' && Number.isNaN(toNumber(lit.value))) {
        throw failAt(lit, `a number to compare with ${quote(source(other))}`, EXAMPLES.compare);
      }
      if (otherKind === 'boolean' && toBoolean(lit.value) === null) {
        throw failAt(
          lit,
          `TRUE or FALSE to compare with ${quote(source(other))}`,
          EXAMPLES.compare,
        );
      }
    }
  }
}
