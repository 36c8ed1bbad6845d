import { packageJson } from './package-root.js';

/** This package's version, read from its package.json (one source of truth for CLI and CONNECTED). */
export const VERSION: string = packageJson().version;
