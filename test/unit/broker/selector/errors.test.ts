import { describe, expect, it } from 'vitest';
import { compileSelector, SelectorError } from '../../../../server/src/broker/selector/index.js';

function errorOf(selector: string): SelectorError {
  try {
    compileSelector(selector);
  } catch (err) {
    if (err instanceof SelectorError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(selector)} to be refused`);
}

const OPERAND = "an operand (a header name, a 'string', a number, TRUE, FALSE or '(')";
const CONDITION = 'a condition (a comparison, LIKE, IN, BETWEEN, IS NULL, TRUE or FALSE)';
const END = 'end of selector';

type Case = readonly [selector: string, position: number, expected: string, found: string];

const cases: readonly Case[] = [
  // empty
  ['', 0, CONDITION, 'an empty selector'],
  ['   ', 0, CONDITION, 'an empty selector'],
  ['/* only a comment */', 0, CONDITION, 'an empty selector'],
  // unterminated
  ["x = 'abc", 4, "a closing ' for the string that starts here", END],
  ["x = 'it''s", 4, "a closing ' for the string that starts here", END],
  ['"abc = 1', 0, 'a closing " for the quoted header name that starts here', END],
  ['x = 1 /* never closed', 6, "'*/' to close the comment", END],
  ['(x = 1', 6, "')'", END],
  ["x IN ('a'", 9, "',' or ')' in the IN list", END],
  // missing operands
  ['x = ', 4, OPERAND, END],
  ['x = 1 AND', 9, OPERAND, END],
  ['x = 1 AND\n  y =', 15, OPERAND, END],
  ['AND x = 1', 0, OPERAND, "'AND'"],
  ['(', 1, OPERAND, END],
  ['()', 1, OPERAND, "')'"],
  ['x = * 2', 4, OPERAND, "'*'"],
  ['NOT', 3, OPERAND, END],
  // unexpected tokens
  ['x = 1)', 5, 'AND, OR or end of selector', "')'"],
  ['x = 5 = 6', 6, 'AND, OR or end of selector', "'='"],
  ["color 'red'", 6, 'an operator', "the string 'red'"],
  ['x = 1 # 2', 6, 'an identifier, literal, operator or parenthesis', "'#'"],
  ['x != 1', 2, "'<>' (the SQL not-equal operator)", "'!='"],
  ['x NOT 5', 6, 'BETWEEN, LIKE or IN after NOT', "'5'"],
  ['x IS 5', 5, 'NULL or NOT NULL', "'5'"],
  ['x IS NOT 5', 9, 'NULL', "'5'"],
  ['x BETWEEN 1 OR 5', 12, "AND (as in 'x BETWEEN 1 AND 5')", "'OR'"],
  ['x LIKE y', 7, "a 'string' pattern after LIKE", "'y'"],
  ["x IN 'a'", 5, "'(' after IN", "the string 'a'"],
  ['x IN ()', 6, "a 'string' in the IN list", "')'"],
  ['x IN (1, 2)', 6, "a 'string' in the IN list", "'1'"],
  ["x IN ('a' 'b')", 10, "',' or ')' in the IN list", "the string 'b'"],
  ["x IN ('a' AND", 10, "',' or ')' in the IN list", "'AND'"],
  // ESCAPE
  ["x LIKE 'a' ESCAPE 'ab'", 18, "a one-character 'string' after ESCAPE", "the string 'ab'"],
  ["x LIKE 'a' ESCAPE ''", 18, "a one-character 'string' after ESCAPE", "the string ''"],
  ["x LIKE 'a' ESCAPE", 17, "a one-character 'string' after ESCAPE", END],
  // numbers and names
  ['x = 12abc', 4, 'a number (such as 42, 42L, 0x2A, 052, 4.2 or 4.2E1)', "'12abc'"],
  ['x = 09', 4, 'a number (such as 42, 42L, 0x2A, 052, 4.2 or 4.2E1)', "'09'"],
  ['x = 0x', 4, 'a number (such as 42, 42L, 0x2A, 052, 4.2 or 4.2E1)', "'0x'"],
  ['x = 1.2.3', 4, 'a number (such as 42, 42L, 0x2A, 052, 4.2 or 4.2E1)', "'1.2.3'"],
  [
    "content-type = 'text/plain'",
    0,
    'the double-quoted header name "content-type"',
    "'content-type'",
  ],
  ['a AND x.y = 1', 6, 'the double-quoted header name "x.y"', "'x.y'"],
  ['"" = 1', 0, 'a header name between the double quotes', `'""'`],
  // not a condition
  ['5', 0, CONDITION, "'5'"],
  ["'abc'", 0, CONDITION, "the string 'abc'"],
  ['x + 1', 0, CONDITION, "'x + 1'"],
  ['x = 1 AND 5', 10, CONDITION, "'5'"],
  ['NOT (x + 1)', 4, CONDITION, "'(x + 1)'"],
  ['JMSPriority', 0, CONDITION, "'JMSPriority'"],
  // NULL literal
  ['x = NULL', 4, OPERAND, "'NULL'"],
  ['NULL IS NULL', 0, OPERAND, "'NULL'"],
  // types
  ["x > 'abc'", 4, 'a number or a header name', "the string 'abc'"],
  ["x BETWEEN 'a' AND 'z'", 10, 'a number or a header name', "the string 'a'"],
  ['TRUE > 1', 0, 'a number or a header name', "'TRUE'"],
  ['JMSRedelivered < 1', 0, 'a number or a header name', "'JMSRedelivered'"],
  ["'abc' + 1 = 2", 0, 'a number or a header name', "the string 'abc'"],
  ["x = -'a'", 5, 'a number or a header name', "the string 'a'"],
  ['x + TRUE = 1', 4, 'a number or a header name', "'TRUE'"],
  ['TRUE = 1', 7, "a boolean to compare with 'TRUE'", "'1'"],
  ['(x = 1) = 1', 10, "a boolean to compare with '(x = 1)'", "'1'"],
  ["JMSPriority = 'high'", 14, "a number to compare with 'JMSPriority'", "the string 'high'"],
  ["'high' <> x + 1", 0, "a number to compare with 'x + 1'", "the string 'high'"],
  [
    "JMSRedelivered = 'yes'",
    17,
    "TRUE or FALSE to compare with 'JMSRedelivered'",
    "the string 'yes'",
  ],
  ["JMSPriority IN ('1')", 0, 'a string-valued header name on the left of IN', "'JMSPriority'"],
  ["x + 1 IN ('1')", 0, 'a string-valued header name on the left of IN', "'x + 1'"],
  ["JMSPriority LIKE '1%'", 0, 'a string value on the left of LIKE', "'JMSPriority'"],
];

describe('SelectorError', () => {
  it.each(cases)('%j fails at %i expecting %s, found %s', (selector, position, expected, found) => {
    const error = errorOf(selector);
    expect(error.code).toBe('invalid-selector');
    expect(error.position).toBe(position);
    expect(error.expected).toBe(expected);
    expect(error.found).toBe(found);
    expect(error.message).toBe(
      `selector syntax error at position ${position}: expected ${expected} but found ${found}`,
    );
  });

  it('is an Error with a one-line message', () => {
    const error = errorOf("(color = 'red' OR size = 2 AND");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('SelectorError');
    expect(error.message).toBe(
      `selector syntax error at position 30: expected ${OPERAND} but found end of selector`,
    );
  });

  it('explains itself in detail: what was wrong, a caret under the position, an example', () => {
    const error = errorOf("x IN ('a', 'b' AND y = 1");
    expect(error.detail).toBe(
      [
        "The selector is not valid: at position 15 it expected ',' or ')' in the IN list but found 'AND'.",
        '',
        "  x IN ('a', 'b' AND y = 1",
        '                 ^',
        '',
        "Example of valid syntax: Country IN ('UK', 'US', 'France')",
      ].join('\n'),
    );
  });

  it('adds a hint where one helps', () => {
    expect(errorOf("content-type = 'x'").detail).toContain(
      `Example of valid syntax: "content-type" = 'some value'`,
    );
    expect(errorOf("content-type = 'x'").detail).toContain("put spaces around '-'");
    expect(errorOf('x.y = 1').detail).toContain('must be written in double quotes.\n');
    expect(errorOf('x = NULL').detail).toContain('IS NULL or IS NOT NULL');
    expect(errorOf("x > 'a'").detail).toContain('Strings can only be compared with = and <>');
  });

  it.each(cases.filter(([selector, position]) => position < selector.length))(
    'puts the caret of %j under the character at the position',
    (selector, position) => {
      const lines = errorOf(selector).detail.split('\n');
      const [shown, caret] = [lines[2]!, lines[3]!];
      expect(shown[caret.indexOf('^')]).toBe(selector[position]);
    },
  );

  it('points into the right line of a multi-line selector, keeping tabs aligned', () => {
    const selector = "color = 'red'\n\tAND size >\n\t\t'big'";
    const error = errorOf(selector);
    expect(error.position).toBe(selector.indexOf("'big'"));
    const lines = error.detail.split('\n');
    expect(lines[2]).toBe("  \t\t'big'");
    expect(lines[3]).toBe('  \t\t^');
  });

  it('shows a window of a very long selector around the position', () => {
    const selector = `${Array.from({ length: 30 }, (_, i) => `h${i} = ${i}`).join(' AND ')} AND x = `;
    const error = errorOf(selector);
    const [shown, caret] = error.detail.split('\n').slice(2, 4) as [string, string];
    expect(shown.length).toBeLessThan(140);
    expect(shown).toMatch(/^ {2}….*x = $/);
    expect(caret.indexOf('^')).toBe(shown.length);
  });
});
