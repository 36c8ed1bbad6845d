import type { ArithmeticOp, CompareOp, Node } from './ast.js';
import { kindOf } from './ast.js';
import { resolveIdentifier } from './identifiers.js';
import { compileLike, type LikeMatcher } from './like.js';
import {
  COMPARE,
  type Evaluate,
  type Headers,
  MIRROR,
  NUMERIC,
  type Test,
  toBoolean,
  toNumber,
} from './values.js';

/** Evaluates to a number, or null when an operand is missing or not numeric (UNKNOWN). */
type EvaluateNumber = (headers: Headers) => number | null;

const ARITHMETIC: Readonly<Record<ArithmeticOp, (a: number, b: number) => number>> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  // Division is always floating point, as in ActiveMQ Classic (7 / 2 = 3.5); x / 0 is ±Infinity
  // and 0 / 0 is NaN, which compares FALSE with everything (and <> TRUE).
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
};

/**
 * Turns a parsed selector into nested closures. All decisions about node kinds, operand types,
 * JMS header mapping and LIKE patterns are taken here, once; per message the closures only read
 * headers, convert numeric-looking values with Number(), and apply the operators.
 */
export function compile(root: Node): (headers: Headers) => boolean {
  const test = condition(root);
  return (headers) => test(headers) === true;
}

/** The name of the header an identifier reads unchanged, or null. */
function headerOf(node: Node): string | null {
  return node.kind === 'identifier' ? resolveIdentifier(node.name, node.quoted).header : null;
}

/** A boolean-valued node (the parser guarantees it) as a three-valued test. */
function condition(node: Node): Test {
  switch (node.kind) {
    case 'literal': {
      const value = node.value as boolean;
      return () => value;
    }
    case 'identifier':
      return booleanCast(node);
    case 'not': {
      const operand = condition(node.operand);
      return (h) => {
        const a = operand(h);
        return a === null ? null : !a;
      };
    }
    case 'and': {
      const left = condition(node.left);
      const right = condition(node.right);
      return (h) => {
        const a = left(h);
        if (a === false) return false;
        const b = right(h);
        if (b === false) return false;
        return a === null || b === null ? null : true;
      };
    }
    case 'or': {
      const left = condition(node.left);
      const right = condition(node.right);
      return (h) => {
        const a = left(h);
        if (a === true) return true;
        const b = right(h);
        if (b === true) return true;
        return a === null || b === null ? null : false;
      };
    }
    case 'compare':
      return comparison(node.op, node.left, node.right);
    case 'between':
      return between(node.negated, node.value, node.low, node.high);
    case 'like':
      return like(node.negated, node.value, compileLike(node.pattern, node.escape));
    case 'in':
      return inList(node.negated, node.value, new Set(node.items));
    case 'isNull':
      return isNull(node.negated, node.value);
    default:
      throw new Error(`selector: a ${node.kind} node is not a condition`);
  }
}

/** A node's value, of whatever type. */
function value(node: Node): Evaluate {
  switch (node.kind) {
    case 'literal': {
      const constant = node.value;
      return () => constant;
    }
    case 'identifier':
      return resolveIdentifier(node.name, node.quoted).read;
    case 'negate':
    case 'arithmetic':
      return number(node);
    default:
      return condition(node);
  }
}

/** A numeric operand: numbers as they are, strings converted when numeric-looking. */
function number(node: Node): EvaluateNumber {
  switch (node.kind) {
    case 'literal': {
      const constant = node.value as number;
      return () => constant;
    }
    case 'negate': {
      const operand = number(node.operand);
      return (h) => {
        const a = operand(h);
        return a === null ? null : -a;
      };
    }
    case 'arithmetic': {
      const op = ARITHMETIC[node.op];
      const left = number(node.left);
      const right = number(node.right);
      return (h) => {
        const a = left(h);
        if (a === null) return null;
        const b = right(h);
        return b === null ? null : op(a, b);
      };
    }
    default:
      break;
  }
  if (kindOf(node) === 'number') return value(node) as EvaluateNumber;
  const header = headerOf(node);
  if (header !== null) {
    return (h) => {
      const s = h[header];
      if (s === undefined) return null;
      const n = toNumber(s);
      return Number.isNaN(n) ? null : n;
    };
  }
  const read = value(node);
  return (h) => {
    const v = read(h);
    const n = typeof v === 'string' ? toNumber(v) : Number.NaN;
    return Number.isNaN(n) ? null : n;
  };
}

/** An identifier used as a condition: a boolean, or a header reading 'true' / 'false'. */
function booleanCast(node: Node): Test {
  const read = value(node);
  if (kindOf(node) === 'boolean') return read as Test;
  return (h) => {
    const v = read(h);
    return v === null ? null : toBoolean(v as string) === true;
  };
}

function comparison(op: CompareOp, left: Node, right: Node): Test {
  if (right.kind === 'literal' && left.kind !== 'literal')
    return withConstant(op, left, right.value);
  if (left.kind === 'literal' && right.kind !== 'literal') {
    return withConstant(MIRROR[op], right, left.value);
  }
  const compare = COMPARE[op];
  const a = value(left);
  const b = value(right);
  return (h) => compare(a(h), b(h));
}

/** `node op constant`, with fast paths for the usual `header op literal` shapes. */
function withConstant(op: CompareOp, node: Node, constant: string | number | boolean): Test {
  const header = headerOf(node);
  if (typeof constant === 'number') {
    const test = NUMERIC[op];
    if (header !== null) {
      return (h) => {
        const s = h[header];
        return s === undefined ? null : test(toNumber(s), constant);
      };
    }
    if (kindOf(node) === 'number') {
      const read = number(node);
      return (h) => {
        const n = read(h);
        return n === null ? null : test(n, constant);
      };
    }
  } else if (typeof constant === 'string' && header !== null && (op === '=' || op === '<>')) {
    const equal = op === '=';
    return (h) => {
      const s = h[header];
      return s === undefined ? null : (s === constant) === equal;
    };
  }
  const compare = COMPARE[op];
  const read = value(node);
  return (h) => compare(read(h), constant);
}

/** x BETWEEN a AND b is x >= a AND x <= b; x NOT BETWEEN a AND b is x < a OR x > b (JMS). */
function between(negated: boolean, subject: Node, low: Node, high: Node): Test {
  const header = headerOf(subject);
  if (header !== null && low.kind === 'literal' && high.kind === 'literal') {
    const lo = low.value as number;
    const hi = high.value as number;
    return (h) => {
      const s = h[header];
      if (s === undefined) return null;
      const n = toNumber(s); // NaN: every comparison, so both forms, are FALSE
      return negated ? n < lo || n > hi : n >= lo && n <= hi;
    };
  }
  const [first, second] = negated ? [COMPARE['<'], COMPARE['>']] : [COMPARE['>='], COMPARE['<=']];
  const read = value(subject);
  const readLow = value(low);
  const readHigh = value(high);
  return (h) => {
    const x = read(h);
    const a = first(x, readLow(h));
    const b = second(x, readHigh(h));
    if (negated) return a === true || b === true ? true : a === null || b === null ? null : false;
    return a === false || b === false ? false : a === null || b === null ? null : true;
  };
}

function like(negated: boolean, subject: Node, pattern: LikeMatcher): Test {
  const header = headerOf(subject);
  if (header !== null) {
    return (h) => {
      const s = h[header];
      return s === undefined ? null : pattern.test(s) !== negated;
    };
  }
  const read = value(subject);
  return (h) => {
    const v = read(h);
    return v === null ? null : pattern.test(v as string) !== negated;
  };
}

function inList(negated: boolean, subject: Node, items: ReadonlySet<string>): Test {
  const header = headerOf(subject);
  if (header !== null) {
    return (h) => {
      const s = h[header];
      return s === undefined ? null : items.has(s) !== negated;
    };
  }
  const read = value(subject);
  return (h) => {
    const v = read(h);
    return v === null ? null : items.has(v as string) !== negated;
  };
}

function isNull(negated: boolean, subject: Node): Test {
  const header = headerOf(subject);
  if (header !== null) return (h) => (h[header] === undefined) !== negated;
  const read = value(subject);
  return (h) => (read(h) === null) !== negated;
}
