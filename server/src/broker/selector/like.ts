/** Characters that mean something in a RegExp with the 'u' flag and must be escaped. */
const SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|']);

/**
 * Translates a LIKE pattern into an anchored RegExp, once, at compile time: '%' is any run of
 * characters, '_' is exactly one character (one code point, via the 'u' flag), and with the 's'
 * flag both also match line breaks. As in ActiveMQ Classic (ComparisonExpression.LikeExpression),
 * the escape character escapes only a following '%', '_' or itself; before anything else, or at
 * the end of the pattern, it stands for itself.
 */
export function likeToRegExp(pattern: string, escapeChar: string | null): RegExp {
  const chars = [...pattern];
  let source = '';
  for (let i = 0; i < chars.length; i++) {
    let c = chars[i]!;
    let literal = false;
    const next = chars[i + 1];
    if (c === escapeChar && (next === '%' || next === '_' || next === escapeChar)) {
      c = next;
      i++;
      literal = true;
    }
    if (!literal && c === '%') source += '.*';
    else if (!literal && c === '_') source += '.';
    else source += SYNTAX.has(c) ? `\\${c}` : c;
  }
  return new RegExp(`^(?:${source})$`, 'su');
}
