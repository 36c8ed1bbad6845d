/**
 * docs/configuration.md is generated from the config schema (BrokerConfig
 * and its JSDoc, DEFAULT_CONFIG): it must be current, and every key must be
 * documented. Fix a failure with `npm run docs:config`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collectConfigKeys, DOCS_FILE, renderConfigDocs } from '../../scripts/config-docs.mjs';
import { DEFAULT_CONFIG, MAP_KEYS } from '../../server/src/config.js';

/** Every leaf key of the defaults (maps and lists count as leaves). */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || MAP_KEYS.has(prefix))
    return [prefix];
  return Object.entries(value).flatMap(([key, inner]) =>
    leafPaths(inner, prefix === '' ? key : `${prefix}.${key}`),
  );
}

describe('docs/configuration.md', () => {
  const rendered = renderConfigDocs(DEFAULT_CONFIG);

  it('documents every key with a doc comment in the schema', () => {
    expect(rendered.missing).toEqual([]);
  });

  it('lists every key that has a default, with that default', () => {
    const documented = new Set(collectConfigKeys().map((k) => k.path));
    const paths = leafPaths(DEFAULT_CONFIG);
    expect(paths.length).toBeGreaterThan(60);
    expect(paths.filter((p) => !documented.has(p))).toEqual([]);
    expect(rendered.text).toContain('| `limits.maxFrameSize` | `number` | `4194304` |');
    expect(rendered.text).toContain(
      '| `auth.clientCertificates.userFrom` | `"cn" \\| "dn"` | `"cn"` |',
    );
  });

  it('is current (regenerate with npm run docs:config)', () => {
    expect(readFileSync(DOCS_FILE, 'utf8')).toBe(rendered.text);
  });
});
