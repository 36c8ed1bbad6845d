/**
 * `stompede publish DEST`: each line of stdin becomes one message. Batches are
 * confirmed with receipts, so when stdin ends and we exit 0, the broker has
 * every line; anything else exits non-zero with the reason.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { describeStompError, StompConnection } from './connection.js';
import {
  addConnectionOptions,
  CliError,
  type ConnectionFlags,
  exitAfterFlush,
  headerArg,
  intArg,
  noteFor,
} from './options.js';
import { BatchPublisher } from './publisher.js';

interface PublishFlags extends ConnectionFlags {
  header?: Record<string, string>;
  persistent?: boolean;
  batch: number;
}

export function registerPublish(program: Command): void {
  const command = program
    .command('publish')
    .description('send each line of stdin as a message to DEST, confirmed by receipts')
    .argument('<destination>', 'where to send, e.g. /topic/logs.app or /queue/jobs')
    .option('--header <name=value>', 'add a header to every message (repeatable)', headerArg)
    .option('--persistent', 'mark messages persistent (persistent:true)')
    .option('--batch <n>', 'messages per receipt', intArg(1), 100);
  addConnectionOptions(command).action(publish);
}

async function publish(destination: string, flags: PublishFlags): Promise<void> {
  const note = noteFor('publish', flags.quiet);
  const headers: Record<string, string> = { 'content-type': 'text/plain', ...flags.header };
  if (flags.persistent) headers.persistent = 'true';

  let brokerError: string | null = null;
  let stop: (err: Error) => void = () => {};
  const connection = await StompConnection.open(flags, {
    events: {
      onStompError: (frame) => {
        brokerError = `the broker refused: ${describeStompError(frame)}`;
        stop(new CliError(brokerError));
      },
      onLost: (reason) => {
        stop(new CliError(brokerError ?? `lost the connection to ${flags.url}: ${reason}`));
      },
    },
  });
  const out = new BatchPublisher(connection.client, {
    batchSize: flags.batch,
    maxUnconfirmed: flags.batch * 10,
  });

  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let count = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      stop = (err) => {
        out.fail(err);
        reject(err);
      };
      lines.on('line', (line) => {
        try {
          out.send({ destination, body: line, headers });
        } catch (err) {
          reject(err);
          return;
        }
        count++;
        if (out.unconfirmed >= flags.batch * 10) {
          lines.pause();
          out.waitForRoom().then(() => lines.resume(), reject);
        }
      });
      lines.on('close', resolve);
      process.stdin.on('error', reject);
    });
    await out.drain();
  } catch (err) {
    lines.close();
    process.stdin.destroy();
    await connection.client.deactivate({ force: true });
    throw err;
  }
  await connection.close();
  note(`sent ${count} message(s) to ${destination}, all confirmed`);
  exitAfterFlush(0);
}
