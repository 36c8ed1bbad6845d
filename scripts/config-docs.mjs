#!/usr/bin/env node
/**
 * docs/configuration.md, generated from the one schema: the BrokerConfig
 * interface in server/src/config.ts (its keys, their types and JSDoc,
 * following the types it uses, e.g. auth/types.ts) and DEFAULT_CONFIG (the
 * defaults). `npm run docs:config` rewrites the file; the unit test
 * test/unit/config-docs.test.ts fails when it is stale or a key has no doc.
 *
 *   node scripts/config-docs.mjs          write docs/configuration.md (needs `tsc -b` first)
 *   node scripts/config-docs.mjs --check  exit 1 if docs/configuration.md is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DOCS_FILE = join(ROOT, 'docs', 'configuration.md');
const SCHEMA_FILE = join(ROOT, 'server', 'src', 'config.ts');

/**
 * Every key of BrokerConfig, depth first in declaration order. Groups
 * (nested objects) come before their keys; `path[]` is a key of each item
 * of a list of objects.
 * @returns {{ path: string, kind: 'group' | 'key', type: string, doc: string }[]}
 */
export function collectConfigKeys() {
  const program = ts.createProgram([SCHEMA_FILE], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(SCHEMA_FILE);
  let root;
  ts.forEachChild(source, (node) => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === 'BrokerConfig') root = node;
  });
  if (root === undefined) throw new Error(`no interface BrokerConfig in ${SCHEMA_FILE}`);
  const out = [];
  walk(checker, checker.getTypeAtLocation(root.name), '', out);
  return out;
}

function walk(checker, type, prefix, out) {
  for (const prop of checker.getPropertiesOfType(type)) {
    const declaration = prop.valueDeclaration ?? prop.declarations?.[0];
    const propType = checker.getNonNullableType(
      checker.getTypeOfSymbolAtLocation(prop, declaration),
    );
    const path = prefix === '' ? prop.name : `${prefix}.${prop.name}`;
    let doc = oneLine(ts.displayPartsToString(prop.getDocumentationComment(checker)));
    const nullable =
      (checker.getTypeOfSymbolAtLocation(prop, declaration).flags & ts.TypeFlags.Null) !== 0 ||
      (checker.getTypeOfSymbolAtLocation(prop, declaration).isUnion() &&
        checker
          .getTypeOfSymbolAtLocation(prop, declaration)
          .types.some((t) => t.flags & ts.TypeFlags.Null));
    const typeText = typeName(checker, propType) + (nullable ? ' | null' : '');
    if (checker.isArrayType(propType)) {
      out.push({ path, kind: 'key', type: typeText, doc });
      const [element] = checker.getTypeArguments(propType);
      if (element !== undefined && isGroup(checker, element))
        walk(checker, element, `${path}[]`, out);
    } else if (isGroup(checker, propType)) {
      if (doc === '') {
        const symbol = propType.aliasSymbol ?? propType.getSymbol();
        doc = symbol
          ? oneLine(ts.displayPartsToString(symbol.getDocumentationComment(checker)))
          : '';
      }
      out.push({ path, kind: 'group', type: '', doc });
      walk(checker, propType, path, out);
    } else {
      out.push({ path, kind: 'key', type: typeText, doc });
    }
  }
}

/** A type as the docs spell it: aliases expanded to their literals, lists of objects as `list`. */
function typeName(checker, type) {
  if (type.flags & ts.TypeFlags.Boolean) return 'boolean';
  if (checker.isArrayType(type)) {
    const [element] = checker.getTypeArguments(type);
    if (element === undefined) return 'list';
    if (isGroup(checker, element)) return 'list';
    const inner = typeName(checker, element);
    return inner.includes(' | ') ? `(${inner})[]` : `${inner}[]`;
  }
  if (type.isUnion()) {
    const names = type.types
      .filter((t) => !(t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)))
      .map((t) => checker.typeToString(t));
    if (names.length === 2 && names.includes('true') && names.includes('false')) return 'boolean';
    return names.join(' | ');
  }
  if (checker.getIndexInfoOfType(type, ts.IndexKind.String) !== undefined) {
    const value = checker.getIndexInfoOfType(type, ts.IndexKind.String).type;
    return `map of string → ${typeName(checker, value)}`;
  }
  return checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation);
}

/** An object with named keys of its own (not a map such as Record<string, string>). */
function isGroup(checker, type) {
  if (!(type.flags & ts.TypeFlags.Object) && !type.isIntersection()) return false;
  if (checker.getIndexInfoOfType(type, ts.IndexKind.String) !== undefined) return false;
  return checker.getPropertiesOfType(type).length > 0;
}

function oneLine(text) {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function defaultAt(defaults, path) {
  if (path.includes('[]')) return undefined;
  let value = defaults;
  for (const part of path.split('.')) value = value?.[part];
  return value;
}

function cell(text) {
  return text.replaceAll('|', '\\|');
}

/** The whole document, from the schema and `defaults` (DEFAULT_CONFIG). */
export function renderConfigDocs(defaults) {
  const keys = collectConfigKeys();
  const lines = [
    '# Configuration',
    '',
    '<!-- Generated by `npm run docs:config` from server/src/config.ts and the types it uses; do not edit by hand. -->',
    '',
    'Every key the broker reads, with its default and meaning. Settings come from, in rising precedence:',
    'these defaults, a config file (`--config FILE` or `STOMPEDE_CONFIG`; YAML, or JSON when the name',
    'ends in `.json`), `STOMPEDE_*` environment variables, and flags (see the README). Every key is',
    'optional; nested groups merge key by key with the defaults.',
    '',
    'Unknown keys are errors, not ignored. Check a file without starting the broker:',
    '',
    '```sh',
    'stompede config check stompede.yaml   # prints "stompede.yaml: ok", or the bad key and exits 1',
    '```',
    '',
    '```yaml',
    'host: 0.0.0.0',
    'limits:',
    '  maxFrameSize: 1048576',
    'destinations:',
    '  - match: /topic/logs.>',
    '    historyMaxMessages: 1000',
    '```',
    '',
    '`path[]` rows describe the keys of each item of a list.',
    '',
  ];
  const missing = [];
  const row = (key) => {
    if (key.doc === '') missing.push(key.path);
    const value = defaultAt(defaults, key.path);
    const shown =
      key.kind === 'group'
        ? '(group)'
        : value === undefined
          ? '—'
          : `\`${cell(JSON.stringify(value))}\``;
    const type = key.kind === 'group' ? '' : `\`${cell(key.type)}\``;
    return `| \`${key.path}\` | ${type} | ${shown} | ${cell(key.doc)} |`;
  };
  const header = ['| key | type | default | meaning |', '| --- | --- | --- | --- |'];
  // Top-level keys with nothing under them share one table; each group, and each list of objects, has its own.
  const owner = (path) => path.split(/[.[]/)[0];
  const nested = new Set(keys.filter((k) => k.path !== owner(k.path)).map((k) => owner(k.path)));
  lines.push('## General', '', ...header);
  for (const key of keys) if (!nested.has(owner(key.path))) lines.push(row(key));
  for (const key of keys) {
    if (!nested.has(owner(key.path))) continue;
    if (key.path === owner(key.path)) {
      if (key.doc === '') missing.push(key.path);
      lines.push('', `## \`${key.path}\``, '');
      if (key.doc) lines.push(key.doc, '');
      lines.push(...header);
      if (key.kind === 'key') lines.push(row(key));
      continue;
    }
    lines.push(row(key));
  }
  lines.push('');
  return { text: lines.join('\n'), missing };
}

async function main() {
  const { DEFAULT_CONFIG } = await import(
    pathToFileURL(join(ROOT, 'server', 'dist', 'config.js')).href
  );
  const { text, missing } = renderConfigDocs(DEFAULT_CONFIG);
  if (missing.length > 0) {
    process.stderr.write(
      `config keys without a doc comment in the schema: ${missing.join(', ')}\n`,
    );
    process.exit(1);
  }
  if (process.argv.includes('--check')) {
    const current = readFileSync(DOCS_FILE, 'utf8');
    if (current !== text) {
      process.stderr.write('docs/configuration.md is stale: run npm run docs:config\n');
      process.exit(1);
    }
    return;
  }
  writeFileSync(DOCS_FILE, text);
  process.stdout.write(`wrote ${DOCS_FILE} (${text.split('\n').length} lines)\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
