/**
 * Where this package lives on disk. Files shipped beside the code (the
 * console, package.json) and the demo next to it in the source tree are
 * found from here, not from a fixed number of `../` steps: the calling code
 * may run from src/ (tests), dist/ (tsc output) or a bundled chunk in
 * dist/chunks/, each at a different depth.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'stompede';

interface PackageJson {
  name?: string;
  version: string;
}

let found: { root: string; json: PackageJson } | undefined;

function locate(): { root: string; json: PackageJson } {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; ) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
      // The workspace root and an embedder's project have package.json too: only ours counts.
      if (json.name === PACKAGE_NAME) return { root: dir, json };
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`stompede: no package.json named "${PACKAGE_NAME}" above ${start}`);
    }
    dir = parent;
  }
}

/** The package directory: server/ in the source tree, node_modules/stompede in an install. */
export function packageRoot(): string {
  found ??= locate();
  return found.root;
}

/** This package's package.json. */
export function packageJson(): PackageJson {
  found ??= locate();
  return found.json;
}
