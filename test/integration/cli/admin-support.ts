/** Running the built `stompede` admin verbs as child processes against a test broker. */
import { execFile } from 'node:child_process';
import { CLI_PATH } from '../../helpers/broker-process.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `stompede ARGS` to its end (bounded), with a clean admin environment plus `env`. */
export function stompede(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const clean = { ...process.env };
  for (const key of [
    'STOMPEDE_ADMIN_URL',
    'STOMPEDE_USER',
    'STOMPEDE_PASSWORD',
    'STOMPEDE_TOKEN',
  ]) {
    delete clean[key];
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_PATH, ...args],
      { env: { ...clean, ...env }, timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `stompede ARGS --json`, expecting exit 0; the parsed output. */
export async function stompedeJson<T>(
  args: string[],
  env: Record<string, string> = {},
): Promise<T> {
  const result = await stompede([...args, '--json'], env);
  if (result.code !== 0) {
    throw new Error(`stompede ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as T;
}
