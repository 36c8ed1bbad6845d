/**
 * Destination verbs: `queues`, `topics`, `describe DEST` (like
 * `kafka-topics --describe`) and `delete DEST`.
 */
import type { Command } from 'commander';
import type { AdminClient, AdminFlags } from './client.js';
import { destinationPath } from './client.js';
import { adminVerb, withClient } from './command.js';
import { subscriptionColumns } from './connections.js';
import { duration, pick, printFields, printJson, printLine, printTable, rate } from './output.js';

type Json = Record<string, unknown>;

export function registerDestinationVerbs(program: Command): void {
  adminVerb(program, 'queues', 'list queues: depth, in flight, consumers, counters, rates').action(
    withClient(queues),
  );
  adminVerb(
    program,
    'topics',
    'list topics: subscribers, durable subscriptions, history, rates',
  ).action(withClient(topics));
  adminVerb(
    program,
    'describe <destination>',
    'one queue or topic in detail: depth, consumers, retention, durable subscriptions, rates',
  ).action(withClient(describe));
  adminVerb(
    program,
    'delete <destination>',
    'delete a queue (with its messages) or a topic',
  ).action(withClient(remove));
}

async function queues(client: AdminClient, flags: AdminFlags): Promise<void> {
  const rows = await client.get<Json[]>('/queues');
  if (flags.json) return printJson(rows);
  printTable(
    rows,
    [
      { title: 'Queue', value: (q) => q.destination ?? q.name },
      { title: 'Depth', value: (q) => q.depth, align: 'right' },
      { title: 'In flight', value: (q) => q.inFlight, align: 'right' },
      { title: 'Consumers', value: (q) => q.consumers, align: 'right' },
      { title: 'Enqueued', value: (q) => q.enqueued, align: 'right' },
      { title: 'Dequeued', value: (q) => q.dequeued, align: 'right' },
      { title: 'Redelivered', value: (q) => q.redelivered, align: 'right' },
      { title: 'DLQ depth', value: (q) => pick(q, 'dlq', 'depth'), align: 'right' },
      { title: 'In/s', value: (q) => rate(pick(q, 'rates', 'inPerSec')), align: 'right' },
      { title: 'Out/s', value: (q) => rate(pick(q, 'rates', 'outPerSec')), align: 'right' },
    ],
    'no queues',
  );
}

async function topics(client: AdminClient, flags: AdminFlags): Promise<void> {
  const rows = await client.get<Json[]>('/topics');
  if (flags.json) return printJson(rows);
  printTable(
    rows,
    [
      { title: 'Topic', value: (t) => t.destination ?? t.name },
      { title: 'Subscribers', value: (t) => t.subscribers, align: 'right' },
      { title: 'Durable', value: (t) => t.durableSubscriptions, align: 'right' },
      { title: 'History', value: (t) => t.historySize, align: 'right' },
      { title: 'Published', value: (t) => t.published, align: 'right' },
      { title: 'Delivered', value: (t) => t.delivered, align: 'right' },
      { title: 'Dropped', value: (t) => t.dropped, align: 'right' },
      { title: 'In/s', value: (t) => rate(pick(t, 'rates', 'inPerSec')), align: 'right' },
      { title: 'Out/s', value: (t) => rate(pick(t, 'rates', 'outPerSec')), align: 'right' },
    ],
    'no topics',
  );
}

async function describe(
  client: AdminClient,
  flags: AdminFlags,
  destination: string,
): Promise<void> {
  const { kind, path } = destinationPath(destination);
  const [d, allDurables] = await Promise.all([
    client.get<Json>(path),
    kind === 'topic' ? client.get<Json[]>('/durable-subscriptions') : Promise.resolve([]),
  ]);
  const durables = allDurables.filter((s) => s.destination === (d.destination ?? destination));
  if (flags.json)
    return printJson(kind === 'topic' ? { ...d, durableSubscriptionList: durables } : d);
  const rates = `in ${rate(pick(d, 'rates', 'inPerSec'))}/s, out ${rate(pick(d, 'rates', 'outPerSec'))}/s`;
  if (kind === 'queue') {
    const dlq = d.dlq as Json | null | undefined;
    printFields([
      ['queue', d.destination ?? destination],
      ['depth', d.depth],
      ['in flight', d.inFlight],
      ['enqueued / dequeued', `${d.enqueued ?? ''} / ${d.dequeued ?? ''}`],
      ['redelivered', d.redelivered],
      ['expired', d.expired],
      ['dead-lettered', d.deadLettered],
      ['dead-letter queue', dlq ? `${dlq.name} (depth ${dlq.depth})` : 'none'],
      ['rates', rates],
      ...policyFields(d.policy),
    ]);
  } else {
    const history = d.history as Json | null | undefined;
    printFields([
      ['topic', d.destination ?? destination],
      ['subscribers', d.subscribers],
      ['durable subscriptions', d.durableSubscriptions],
      [
        'history',
        history
          ? `${d.historySize ?? 0} kept (at most ${history.maxMessages || 'any number of'} messages, ${history.maxAgeMs ? duration(history.maxAgeMs) : 'any age'})`
          : 'off',
      ],
      ['published / delivered', `${d.published ?? ''} / ${d.delivered ?? ''}`],
      ['dropped', d.dropped],
      ['rates', rates],
      ...policyFields(d.policy),
    ]);
  }
  const live = kind === 'queue' ? d.consumers : d.subscriptions;
  const consumers = Array.isArray(live) ? (live as Json[]) : [];
  if (consumers.length > 0) {
    printLine(kind === 'queue' ? 'consumers:' : 'subscriptions:');
    printTable(consumers, subscriptionColumns, '');
  }
  if (durables.length > 0) {
    printLine('durable subscriptions:');
    printTable(
      durables,
      [
        { title: 'Client id', value: (s) => s.clientId },
        { title: 'Name', value: (s) => s.name },
        { title: 'Online', value: (s) => s.online },
        { title: 'Pending', value: (s) => s.pending, align: 'right' },
      ],
      '',
    );
  }
}

async function remove(client: AdminClient, flags: AdminFlags, destination: string): Promise<void> {
  const { path } = destinationPath(destination);
  const answer = await client.delete(path);
  if (flags.json) return printJson(answer);
  printLine(`deleted ${destination}`);
}

/** A destination policy as one row per setting (one JSON cell would be too wide to read). */
function policyFields(policy: unknown): [string, unknown][] {
  if (typeof policy !== 'object' || policy === null) return [];
  return Object.entries(policy).map(([key, value]) => [`policy ${key}`, value]);
}
