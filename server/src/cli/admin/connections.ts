/** Connection verbs: `connections`, and `consumers [DEST]` (like mqadmin consumerList). */
import type { Command } from 'commander';
import type { AdminClient, AdminFlags } from './client.js';
import { adminVerb, withClient } from './command.js';
import { bytes, type Column, printJson, printTable } from './output.js';

type Json = Record<string, unknown>;

/** Columns of a subscription (consumers, describe). */
export const subscriptionColumns: Column<Json>[] = [
  { title: 'Connection', value: (s) => s.connectionId },
  { title: 'Subscription', value: (s) => s.id },
  { title: 'Destination', value: (s) => s.destination },
  { title: 'Ack', value: (s) => s.ackMode },
  { title: 'Selector', value: (s) => s.selector },
  { title: 'Durable', value: (s) => s.durableName },
  { title: 'Pending', value: (s) => s.pending, align: 'right' },
  { title: 'Delivered', value: (s) => s.delivered, align: 'right' },
];

export function registerConnectionVerbs(program: Command): void {
  adminVerb(
    program,
    'connections',
    'list client connections: address, transport, user, traffic',
  ).action(withClient(connections));
  adminVerb(
    program,
    'consumers [destination]',
    'list subscriptions, all or those of one destination',
  ).action(withClient(consumers));
}

async function connections(client: AdminClient, flags: AdminFlags): Promise<void> {
  const rows = await client.get<Json[]>('/connections');
  if (flags.json) return printJson(rows);
  printTable(
    rows,
    [
      { title: 'Id', value: (c) => c.id },
      { title: 'Remote', value: (c) => `${c.remoteAddress ?? ''}:${c.remotePort ?? ''}` },
      { title: 'Transport', value: (c) => `${c.transport ?? ''}${c.secure ? '+tls' : ''}` },
      { title: 'STOMP', value: (c) => c.version },
      { title: 'User', value: (c) => c.user },
      { title: 'Subs', value: (c) => c.subscriptions, align: 'right' },
      { title: 'Msgs in', value: (c) => c.messagesIn, align: 'right' },
      { title: 'Msgs out', value: (c) => c.messagesOut, align: 'right' },
      { title: 'Bytes in', value: (c) => bytes(c.bytesIn), align: 'right' },
      { title: 'Bytes out', value: (c) => bytes(c.bytesOut), align: 'right' },
      { title: 'Buffered', value: (c) => bytes(c.bufferedAmount), align: 'right' },
      { title: 'Connected at', value: (c) => c.connectedAt },
    ],
    'no connections',
  );
}

async function consumers(
  client: AdminClient,
  flags: AdminFlags,
  destination: string | undefined,
): Promise<void> {
  const query = destination ? `?destination=${encodeURIComponent(destination)}` : '';
  const rows = await client.get<Json[]>(`/consumers${query}`);
  if (flags.json) return printJson(rows);
  printTable(
    rows,
    subscriptionColumns,
    destination ? `no consumers on ${destination}` : 'no consumers',
  );
}
