/**
 * `stompede subscribe DEST`: print each message body as it arrives, one per
 * line (`--json`: `{"headers":…,"body":…}` per line).
 */
import type { Command } from 'commander';
import { describeStompError, StompConnection } from './connection.js';
import {
  addConnectionOptions,
  type ConnectionFlags,
  exitAfterFlush,
  fatal,
  headerArg,
  intArg,
  noteFor,
} from './options.js';

interface SubscribeFlags extends ConnectionFlags {
  json?: boolean;
  history?: number;
  selector?: string;
  count?: number;
  header?: Record<string, string>;
}

export function registerSubscribe(program: Command): void {
  const command = program
    .command('subscribe')
    .description('print each message sent to DEST, one per line')
    .argument('<destination>', 'what to subscribe to, e.g. /topic/logs.> or /queue/jobs')
    .option('--json', 'print {"headers":…,"body":…} per message instead of the body')
    .option('--history <n>', 'first replay the last N retained messages', intArg(1))
    .option('--selector <expr>', 'only messages matching a JMS selector, e.g. "level = \'ERROR\'"')
    .option('--count <n>', 'exit after N messages', intArg(1))
    .option('--header <name=value>', 'add a header to the SUBSCRIBE frame (repeatable)', headerArg);
  addConnectionOptions(command).action(subscribe);
}

async function subscribe(destination: string, flags: SubscribeFlags): Promise<void> {
  const note = noteFor('subscribe', flags.quiet);
  let finished = false;
  let connection: StompConnection | null = null;
  const finish = (code: number, message?: string): void => {
    if (finished) return;
    finished = true;
    if (message) fatal(message);
    const closing = connection ? connection.close() : Promise.resolve();
    closing.then(
      () => exitAfterFlush(code),
      () => exitAfterFlush(code),
    );
  };

  connection = await StompConnection.open(flags, {
    events: {
      onStompError: (frame) => finish(1, `the broker refused: ${describeStompError(frame)}`),
      onLost: (reason) => finish(1, `lost the connection to ${flags.url}: ${reason}`),
    },
  });

  // A reader that went away (`| head`) ends us quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    finish(err.code === 'EPIPE' ? 0 : 1, err.code === 'EPIPE' ? undefined : err.message);
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => finish(0));

  const headers: Record<string, string> = { ...flags.header };
  if (flags.history !== undefined) headers['x-history-last'] = String(flags.history);
  if (flags.selector !== undefined) headers.selector = flags.selector;
  const receipt = `stompede-cli-sub-${process.pid}`;
  headers.receipt = receipt;

  let received = 0;
  connection.client.watchForReceipt(receipt, () => note(`subscribed to ${destination}`));
  connection.client.subscribe(
    destination,
    (message) => {
      if (finished) return;
      received++;
      const line = flags.json
        ? JSON.stringify({ headers: message.headers, body: message.body })
        : message.body;
      process.stdout.write(`${line}\n`);
      if (flags.count !== undefined && received >= flags.count) finish(0);
    },
    headers,
  );
}
