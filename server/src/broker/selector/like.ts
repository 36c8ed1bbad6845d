/** A compiled LIKE pattern. */
export interface LikeMatcher {
  test(text: string): boolean;
}

const ANY = -1; // '%': any run of characters
const ONE = -2; // '_': exactly one character

/**
 * Compiles a LIKE pattern once: '%' is any run of characters (line breaks
 * included), '_' exactly one character (one code point). As in ActiveMQ
 * Classic (ComparisonExpression.LikeExpression), the escape character
 * escapes only a following '%', '_' or itself; elsewhere it stands for itself.
 *
 * Matching is the two-pointer wildcard algorithm, O(pattern × text) at
 * worst, not a backtracking RegExp: a pattern like '%%%%c' against a long
 * header made the RegExp version take seconds per message on the broker's
 * only thread (found by fuzzing), so one client's selector could stall all.
 */
export function compileLike(pattern: string, escapeChar: string | null): LikeMatcher {
  const chars = [...pattern];
  const tokens: number[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const next = chars[i + 1];
    if (c === escapeChar && (next === '%' || next === '_' || next === escapeChar)) {
      tokens.push(next.codePointAt(0)!);
      i++;
    } else if (c === '%') {
      // Consecutive '%' mean the same as one.
      if (tokens[tokens.length - 1] !== ANY) tokens.push(ANY);
    } else if (c === '_') {
      tokens.push(ONE);
    } else {
      tokens.push(c.codePointAt(0)!);
    }
  }
  return { test: (text) => wildcardMatch(tokens, text) };
}

function wildcardMatch(tokens: readonly number[], text: string): boolean {
  const points: number[] = [];
  for (const ch of text) points.push(ch.codePointAt(0)!);
  let t = 0;
  let p = 0;
  let starToken = -1;
  let starText = 0;
  while (t < points.length) {
    const token = tokens[p];
    if (p < tokens.length && token !== ANY && (token === ONE || token === points[t])) {
      p++;
      t++;
    } else if (p < tokens.length && token === ANY) {
      starToken = p++;
      starText = t;
    } else if (starToken >= 0) {
      p = starToken + 1;
      t = ++starText;
    } else {
      return false;
    }
  }
  while (p < tokens.length && tokens[p] === ANY) p++;
  return p === tokens.length;
}
