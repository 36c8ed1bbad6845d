/**
 * Message verbs: `browse QUEUE` (without consuming), `purge QUEUE`,
 * `send DEST BODY` (through the admin API; `publish` stays the STOMP way),
 * and `dlq replay QUEUE`.
 */
import type { Command } from 'commander';
import { headerArg, intArg } from '../options.js';
import { type AdminClient, type AdminFlags, nameSegment, usageExits } from './client.js';
import { adminVerb, withClient } from './command.js';
import { preview, printJson, printLine, printTable } from './output.js';

type Json = Record<string, unknown>;

/** The API's own bound on one browse (docs/admin-api.md). */
const MAX_BROWSE = 1000;

interface BrowseFlags extends AdminFlags {
  count: number;
}

interface SendFlags extends AdminFlags {
  header?: Record<string, string>;
}

export function registerMessageVerbs(program: Command): void {
  adminVerb(program, 'browse <queue>', 'show the first messages of a queue without consuming them')
    .option('--count <n>', `how many (at most ${MAX_BROWSE})`, intArg(1), 50)
    .action(withClient(browse));
  adminVerb(program, 'purge <queue>', 'remove every message waiting in a queue').action(
    withClient(purge),
  );
  adminVerb(program, 'send <destination> <body>', 'send one message through the admin API')
    .option('--header <name=value>', 'add a header (repeatable)', headerArg)
    .action(withClient(send));
  const dlq = usageExits(program.command('dlq').description('dead-letter queues'));
  adminVerb(
    dlq,
    'replay <queue>',
    'move every message of a dead-letter queue back where it came from',
  ).action(withClient(replay));
}

async function browse(client: AdminClient, flags: BrowseFlags, queue: string): Promise<void> {
  const limit = Math.min(flags.count, MAX_BROWSE);
  const rows = await client.get<Json[]>(
    `/queues/${nameSegment(queue, 'queue')}/messages?limit=${limit}`,
  );
  if (flags.json) return printJson(rows);
  printTable(
    rows,
    [
      { title: 'Message id', value: (m) => m.messageId },
      { title: 'Priority', value: (m) => m.priority, align: 'right' },
      { title: 'Deliveries', value: (m) => m.deliveries, align: 'right' },
      { title: 'Size', value: (m) => m.bodySize, align: 'right' },
      { title: 'Timestamp', value: (m) => time(m.timestamp) },
      { title: 'Body', value: (m) => preview(m.bodyPreview) },
    ],
    `${queue} is empty`,
  );
}

function time(value: unknown): string {
  if (typeof value === 'number' && value > 0) return new Date(value).toISOString();
  return typeof value === 'string' ? value : '';
}

async function purge(client: AdminClient, flags: AdminFlags, queue: string): Promise<void> {
  const answer = await client.delete<Json>(`/queues/${nameSegment(queue, 'queue')}/messages`);
  if (flags.json) return printJson(answer);
  printLine(`purged ${answer.purged ?? 0} message(s) from ${queue}`);
}

async function send(
  client: AdminClient,
  flags: SendFlags,
  destination: string,
  body: string,
): Promise<void> {
  const answer = await client.post<Json>('/send', {
    destination,
    headers: flags.header ?? {},
    body,
  });
  if (flags.json) return printJson(answer);
  printLine(`sent ${answer.messageId ?? 'a message'} to ${destination}`);
}

async function replay(client: AdminClient, flags: AdminFlags, queue: string): Promise<void> {
  const answer = await client.post<Json>(`/queues/${nameSegment(queue, 'queue')}/replay`);
  if (flags.json) return printJson(answer);
  printLine(`moved ${answer.moved ?? 0} message(s) from ${queue} back to where they came from`);
}
