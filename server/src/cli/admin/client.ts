/**
 * The admin verbs' HTTP client for the broker's admin API (docs/admin-api.md),
 * on node's fetch. Every failure becomes a CliError with the exit code
 * scripts rely on (see EXIT): the broker's own `error` text when it sent one.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CONFIG } from '../../config.js';
import { CliError } from '../options.js';

/** Exit codes of the admin verbs (documented in the README). */
export const EXIT = {
  ok: 0,
  /** The broker answered with an error: unknown destination (404), bad parameter (400), … */
  brokerError: 1,
  /** The command line was wrong (commander's usage errors, a malformed --url). */
  usage: 2,
  /** No usable answer: the broker cannot be reached, is no Stompede admin API, or refused the credentials (401/403). */
  unreachable: 3,
} as const;

export const DEFAULT_ADMIN_URL = `http://${DEFAULT_CONFIG.host}:${DEFAULT_CONFIG.wsPort ?? 61614}`;
const API_PATH = '/admin/api';

export interface AdminFlags {
  url: string;
  user?: string;
  password?: string;
  token?: string;
  json?: boolean;
  timeout: number;
}

/** `--url`, `--user`, `--password`, `--token`, `--timeout` and `--json`, the same on every admin verb. */
export function addAdminOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--url <url>',
        "the broker's HTTP port: http://, https://, or a ws:// / wss:// URL of the same port",
      )
        .env('STOMPEDE_ADMIN_URL')
        .default(DEFAULT_ADMIN_URL),
    )
    .addOption(new Option('--user <name>', 'user for HTTP Basic auth').env('STOMPEDE_USER'))
    .addOption(new Option('--password <password>', 'its password').env('STOMPEDE_PASSWORD'))
    .addOption(
      new Option('--token <jwt>', 'a JWT, sent as Authorization: Bearer')
        .env('STOMPEDE_TOKEN')
        .conflicts('password'),
    )
    .addOption(
      new Option('--timeout <ms>', 'give up on an answer after this long')
        .argParser(positiveInt)
        .default(10_000),
    )
    .option('--json', 'print the JSON the broker answered, for scripts');
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a whole number >= 1');
  }
  return n;
}

/** Usage errors end with EXIT.usage (commander's own default is 1, which means "the broker said no" here). */
export function usageExits(command: Command): Command {
  return command.exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : EXIT.usage);
  });
}

/** The API's base URL from --url: ws(s):// of the same port becomes http(s)://, its path dropped. */
export function apiBase(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(
      `--url ${JSON.stringify(url)} is not a URL; expected e.g. ${DEFAULT_ADMIN_URL}`,
      EXIT.usage,
    );
  }
  if (parsed.protocol === 'ws:' || parsed.protocol === 'wss:') {
    const scheme = parsed.protocol === 'ws:' ? 'http:' : 'https:';
    return `${scheme}//${parsed.host}${API_PATH}`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError(
      `--url must be http://, https://, ws:// or wss:// (the broker's HTTP port), not ${parsed.protocol}//`,
      EXIT.usage,
    );
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}${API_PATH}`;
}

/** The path segment for a destination name ('/queue/a.b' and 'a.b' both give 'a.b'). */
export function nameSegment(destination: string, kind: 'queue' | 'topic'): string {
  const prefix = `/${kind}/`;
  const name = destination.startsWith(prefix) ? destination.slice(prefix.length) : destination;
  if (name === '') throw new CliError(`expected a ${kind} name, got ${destination}`, EXIT.usage);
  return encodeURIComponent(name);
}

/** Split DEST into its kind and encoded name; queues and topics only. */
export function destinationPath(destination: string): { kind: 'queue' | 'topic'; path: string } {
  for (const kind of ['queue', 'topic'] as const) {
    if (destination.startsWith(`/${kind}/`)) {
      return { kind, path: `/${kind}s/${nameSegment(destination, kind)}` };
    }
  }
  throw new CliError(
    `expected a destination starting with /queue/ or /topic/, got ${JSON.stringify(destination)}`,
    EXIT.usage,
  );
}

export class AdminClient {
  private readonly base: string;
  private readonly authorization: string | null;

  constructor(private readonly flags: AdminFlags) {
    this.base = apiBase(flags.url);
    if (flags.token !== undefined) this.authorization = `Bearer ${flags.token}`;
    else if (flags.user !== undefined) {
      const basic = Buffer.from(`${flags.user}:${flags.password ?? ''}`).toString('base64');
      this.authorization = `Basic ${basic}`;
    } else this.authorization = null;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T = unknown>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  delete<T = unknown>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.base}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.authorization !== null) headers.authorization = this.authorization;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.flags.timeout),
      });
    } catch (err) {
      throw new CliError(
        `cannot reach the broker at ${this.flags.url}: ${reason(err)}. Is it running, and is --url its HTTP port?`,
        EXIT.unreachable,
      );
    }
    const text = await response.text();
    let data: unknown;
    try {
      data = text === '' ? null : JSON.parse(text);
    } catch {
      throw new CliError(
        `${this.flags.url} answered ${method} ${path} with HTTP ${response.status} and no JSON: ` +
          'is it a Stompede broker with the admin API on (admin.enabled)?',
        EXIT.unreachable,
      );
    }
    if (response.ok) return data as T;
    const error =
      typeof data === 'object' &&
      data !== null &&
      typeof (data as { error?: unknown }).error === 'string'
        ? (data as { error: string }).error
        : `HTTP ${response.status} ${response.statusText}`;
    if (response.status === 401) {
      const hint =
        this.authorization === null
          ? ' Pass --user/--password or --token (or STOMPEDE_USER/STOMPEDE_PASSWORD, STOMPEDE_TOKEN).'
          : '';
      throw new CliError(`${error}${hint}`, EXIT.unreachable);
    }
    if (response.status === 403) throw new CliError(error, EXIT.unreachable);
    throw new CliError(error, EXIT.brokerError);
  }
}

function reason(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer in time (--timeout)';
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
