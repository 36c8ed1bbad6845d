/**
 * JMS message selectors (the SQL-92 subset of JMS 1.1 §3.8.1.1, as ActiveMQ Classic implements
 * it) for the STOMP `selector` header on SUBSCRIBE, evaluated against a message's headers.
 * Compile once per subscription; the returned function is cheap to call per message.
 */
import { compile } from './compile.js';
import { parse } from './parser.js';

export { SelectorError } from './errors.js';

/** True when the message's headers satisfy the selector (TRUE; FALSE and UNKNOWN do not). */
export type CompiledSelector = (headers: Record<string, string>) => boolean;

/** Parses `text` once into a CompiledSelector. Throws SelectorError if it is not valid. */
export function compileSelector(text: string): CompiledSelector {
  return compile(parse(text));
}
