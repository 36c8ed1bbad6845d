/**
 * Routing verbs: `exchanges` and `bindings` (rabbitmqctl list_exchanges /
 * list_bindings) and `explain DEST` (who would receive such a message, and
 * what kept the others from it).
 */
import type { Command } from 'commander';
import { headerArg } from '../options.js';
import type { AdminClient, AdminFlags } from './client.js';
import { adminVerb, withClient } from './command.js';
import { printGenericTable, printJson, printLine, printTable } from './output.js';

type Json = Record<string, unknown>;

interface ExplainFlags extends AdminFlags {
  header?: Record<string, string>;
  sender?: string;
}

export function registerRoutingVerbs(program: Command): void {
  adminVerb(program, 'exchanges', 'list exchanges (RabbitMQ-style routing)').action(
    withClient(list('/exchanges', 'no exchanges')),
  );
  adminVerb(program, 'bindings', 'list bindings of exchanges to queues and topics').action(
    withClient(list('/bindings', 'no bindings')),
  );
  adminVerb(
    program,
    'explain <destination>',
    'which subscriptions a message to DEST (with these headers) would reach, and why not the others',
  )
    .option('--header <name=value>', 'a header of the imagined message (repeatable)', headerArg)
    .option('--sender <connection-id>', 'explain as sent by this connection (its ACL and no-local)')
    .action(withClient(explain));
}

function list(path: string, empty: string) {
  return async (client: AdminClient, flags: AdminFlags): Promise<void> => {
    const rows = await client.get<Json[]>(path);
    if (flags.json) return printJson(rows);
    printGenericTable(rows, empty);
  };
}

async function explain(
  client: AdminClient,
  flags: ExplainFlags,
  destination: string,
): Promise<void> {
  const answer = await client.post<Json>('/explain', {
    destination,
    headers: flags.header ?? {},
    ...(flags.sender === undefined ? {} : { sender: flags.sender }),
  });
  if (flags.json) return printJson(answer);
  const matched = (answer.matched as Json[] | undefined) ?? [];
  const rejected = (answer.rejected as Json[] | undefined) ?? [];
  printLine(
    `${answer.destination ?? destination}: ${matched.length} would receive it, ${rejected.length} would not`,
  );
  if (matched.length > 0) {
    printLine('would receive:');
    printTable(
      matched,
      [
        { title: 'Connection', value: (m) => m.connectionId },
        { title: 'Subscription', value: (m) => m.subscriptionId },
        { title: 'Destination', value: (m) => m.destination },
        { title: 'Kind', value: (m) => m.kind },
      ],
      '',
    );
  }
  if (rejected.length > 0) {
    printLine('would not:');
    printTable(
      rejected,
      [
        { title: 'Connection', value: (m) => m.connectionId },
        { title: 'Subscription', value: (m) => m.subscriptionId },
        { title: 'Reason', value: (m) => m.reason },
        { title: 'Detail', value: (m) => m.detail },
      ],
      '',
    );
  }
}
