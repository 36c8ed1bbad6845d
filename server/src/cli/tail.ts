/**
 * `stompede tail FILE... --to DEST`: follow log files like `tail -F` and send
 * each new line as a message with `source` and (when recognizable) `level`
 * headers. Survives rotation, truncation, missing files and broker restarts
 * (it reconnects and resends what the broker had not confirmed).
 */
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { describeStompError, StompConnection } from './connection.js';
import { FileFollower } from './follow.js';
import { detectLevel } from './level.js';
import {
  addConnectionOptions,
  CliError,
  type ConnectionFlags,
  exitAfterFlush,
  fatal,
  headerArg,
  intArg,
  noteFor,
  warn,
} from './options.js';
import { BatchPublisher } from './publisher.js';

interface TailFlags extends ConnectionFlags {
  to: string;
  fromStart?: boolean;
  source?: string;
  header?: Record<string, string>;
  persistent?: boolean;
  interval: number;
}

const RECONNECT_DELAY_MS = 1000;
const STOP_TIMEOUT_MS = 5000;

export function registerTail(program: Command): void {
  const command = program
    .command('tail')
    .description('follow log files (like tail -F) and send each new line as a message')
    .argument('<file...>', 'files to follow')
    .requiredOption(
      '--to <destination>',
      'where to send, e.g. /topic/logs.app; "{name}" becomes each file\'s name (/topic/logs.{name})',
    )
    .option('--from-start', 'send what the files already hold, then follow them')
    .option('--source <name>', 'the "source" header (default: the file name)')
    .option('--header <name=value>', 'add a header to every message (repeatable)', headerArg)
    .option('--persistent', 'mark messages persistent (persistent:true)')
    .option('--interval <ms>', 'how often to look for new lines', intArg(10), 250);
  addConnectionOptions(command).action(tail);
}

/** `{name}` in --to becomes the file's name, with characters a destination cannot hold replaced. */
export function destinationFor(template: string, file: string): string {
  const name = basename(file).replace(/[\s*>/]/g, '_');
  return template.replaceAll('{name}', name);
}

async function tail(files: string[], flags: TailFlags): Promise<void> {
  const note = noteFor('tail', flags.quiet);
  const paths = [...new Set(files.map((f) => resolve(f)))];

  let publisher: BatchPublisher | null = null;
  let stopping = false;
  const followers: FileFollower[] = [];
  const stop = async (code: number, message?: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (message) fatal(message);
    await Promise.all(followers.map((f) => f.stop()));
    if (code === 0 && publisher) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        publisher.drain().catch(() => {}),
        new Promise((r) => {
          timer = setTimeout(r, STOP_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
      if (publisher.unconfirmed > 0) {
        warn('tail', `${publisher.unconfirmed} line(s) were not confirmed by the broker`);
      }
    }
    await connection.close().catch(() => {});
    exitAfterFlush(code);
  };

  // The broker says ERROR and closes when it shuts down (a restart: reconnect and carry on),
  // and when it refuses what we send (resending would fail again). Tell them apart by
  // progress: a second ERROR with messages pending and none confirmed since the first is final.
  let lastError: { confirmed: number } | null = null;
  const connection = await StompConnection.open(flags, {
    reconnectDelay: RECONNECT_DELAY_MS,
    events: {
      onStompError: (frame) => {
        const error = `the broker refused: ${describeStompError(frame)}`;
        const out = publisher;
        if (out && out.unconfirmed > 0 && lastError?.confirmed === out.confirmed) {
          out.fail(new CliError(error));
          void stop(1, error);
          return;
        }
        lastError = { confirmed: out?.confirmed ?? 0 };
        warn('tail', `broker error: ${describeStompError(frame)}`);
      },
      onLost: (reason) => {
        if (!stopping)
          warn('tail', `lost the connection to ${flags.url} (${reason}); reconnecting`);
      },
      onReconnected: () => {
        note(`reconnected to ${flags.url}`);
        publisher?.resend();
      },
    },
  });
  const out = new BatchPublisher(connection.client, { batchSize: 100, maxUnconfirmed: 1000 });
  publisher = out;

  const common: Record<string, string> = { 'content-type': 'text/plain', ...flags.header };
  if (flags.persistent) common.persistent = 'true';
  for (const path of paths) {
    const destination = destinationFor(flags.to, path);
    const source = flags.source ?? basename(path);
    followers.push(
      new FileFollower(path, {
        fromStart: flags.fromStart ?? false,
        intervalMs: flags.interval,
        onNotice: (message) => warn('tail', message),
        ready: () => out.waitForRoom(),
        onLine: (body) => {
          const headers: Record<string, string> = { ...common, source };
          const level = detectLevel(body);
          if (level) headers.level = level;
          try {
            out.send({ destination, body, headers });
          } catch {
            // The broker refused us for good: stop() is already under way.
          }
        },
      }),
    );
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(0));
  await Promise.all(followers.map((f) => f.start()));
  const open = followers.filter((f) => f.following).length;
  note(
    `following ${open} of ${paths.length} file(s) into ${flags.to} via ${flags.url}` +
      (flags.fromStart ? '' : ' (new lines only)'),
  );
}
