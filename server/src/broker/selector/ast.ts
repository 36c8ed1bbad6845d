import { resolveIdentifier } from './identifiers.js';

export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%';

/** Where a node's source text starts and ends (0-based, end exclusive). */
interface Span {
  readonly pos: number;
  readonly end: number;
}

/** The parse tree. `compile` turns it into closures; nothing walks it per message. */
export type Node = Span &
  (
    | { readonly kind: 'literal'; readonly value: string | number | boolean }
    | { readonly kind: 'identifier'; readonly name: string; readonly quoted: boolean }
    | { readonly kind: 'negate'; readonly operand: Node }
    | {
        readonly kind: 'arithmetic';
        readonly op: ArithmeticOp;
        readonly left: Node;
        readonly right: Node;
      }
    | {
        readonly kind: 'compare';
        readonly op: CompareOp;
        readonly left: Node;
        readonly right: Node;
      }
    | {
        readonly kind: 'between';
        readonly negated: boolean;
        readonly value: Node;
        readonly low: Node;
        readonly high: Node;
      }
    | {
        readonly kind: 'like';
        readonly negated: boolean;
        readonly value: Node;
        readonly pattern: string;
        readonly escape: string | null;
      }
    | {
        readonly kind: 'in';
        readonly negated: boolean;
        readonly value: Node;
        readonly items: readonly string[];
      }
    | { readonly kind: 'isNull'; readonly negated: boolean; readonly value: Node }
    | { readonly kind: 'not'; readonly operand: Node }
    | { readonly kind: 'and' | 'or'; readonly left: Node; readonly right: Node }
  );

/** The type a node evaluates to, when present (any node but a literal may be null). */
export type Kind = 'string' | 'number' | 'boolean';

export function kindOf(node: Node): Kind {
  switch (node.kind) {
    case 'literal':
      return typeof node.value as Kind;
    case 'identifier':
      return resolveIdentifier(node.name, node.quoted).kind;
    case 'negate':
    case 'arithmetic':
      return 'number';
    default:
      return 'boolean';
  }
}
