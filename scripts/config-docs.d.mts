/** Types of config-docs.mjs, for the unit test that keeps docs/configuration.md current. */
export interface ConfigKey {
  path: string;
  kind: 'group' | 'key';
  type: string;
  doc: string;
}
export const DOCS_FILE: string;
export function collectConfigKeys(): ConfigKey[];
export function renderConfigDocs(defaults: unknown): { text: string; missing: string[] };
