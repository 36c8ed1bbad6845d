/** The one example shown when an error has no more specific one. */
export const GENERAL_EXAMPLE = "JMSType = 'car' AND (color = 'blue' OR weight > 2500)";

/** How much of a long selector line is shown either side of the caret. */
const WINDOW = 60;

/**
 * A selector that cannot be compiled. `position` is a 0-based UTF-16 offset into the selector
 * text (the text's length when the problem is its end); `expected` names what would have been
 * valid there; `message` is one line; `detail` is for a person: the problem, the selector with a
 * caret under `position`, and an example of valid syntax.
 */
export class SelectorError extends Error {
  readonly code = 'invalid-selector';
  readonly position: number;
  readonly expected: string;
  readonly found: string;
  readonly detail: string;

  constructor(
    text: string,
    position: number,
    expected: string,
    found: string,
    example: string = GENERAL_EXAMPLE,
    hint?: string,
  ) {
    super(`selector syntax error at position ${position}: expected ${expected} but found ${found}`);
    this.name = 'SelectorError';
    this.position = position;
    this.expected = expected;
    this.found = found;
    const lines = [
      `The selector is not valid: at position ${position} it expected ${expected} but found ${found}.`,
      '',
      ...pointAt(text, position),
      '',
    ];
    if (hint !== undefined) lines.push(hint);
    lines.push(`Example of valid syntax: ${example}`);
    this.detail = lines.join('\n');
  }
}

/** Two lines: the selector line holding `position` (clipped to a window) and a caret under it. */
function pointAt(text: string, position: number): [string, string] {
  const lineStart = text.lastIndexOf('\n', position - 1) + 1;
  const newline = text.indexOf('\n', position);
  const lineEnd = newline === -1 ? text.length : newline;
  const from = Math.max(lineStart, position - WINDOW);
  const to = Math.min(lineEnd, position + WINDOW);
  const shown = text.slice(from, to).replace(/[\r\f\v]/g, ' ');
  // Keep tabs in the padding so the caret lines up under tab-indented text.
  const pad = shown.slice(0, position - from).replace(/[^\t]/g, ' ');
  const prefix = from > lineStart ? '…' : '';
  const suffix = to < lineEnd ? '…' : '';
  return [`  ${prefix}${shown}${suffix}`, `  ${prefix === '' ? '' : ' '}${pad}^`];
}

/**
 * A token or source excerpt as it appears in error messages: quoted, and shortened if long. A
 * string literal keeps its own quotes and is introduced as a string: "the string 'abc'".
 */
export function quote(source: string): string {
  const oneLine = source.replace(/\s+/g, ' ');
  const short = oneLine.length > 40 ? `${oneLine.slice(0, 37)}...` : oneLine;
  return oneLine.startsWith("'") ? `the string ${short}` : `'${short}'`;
}
