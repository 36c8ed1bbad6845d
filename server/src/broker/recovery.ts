/**
 * Start-up: turning what the store recovered into queues, durable
 * subscriptions and topic history, and (at a clean stop) writing back the
 * delivery counts that changed. This file owns which queue a stored name
 * belongs to and how entries are rebuilt, in full or (a store's lazy
 * recovery) as an index whose messages are read back when first needed.
 */
import type { RecoveredState, Store } from '../store/store.js';
import { resolveDestination } from './destination.js';
import type { DurableSubscriptions } from './durable.js';
import { type Message, type MessageLoader, QueueEntry } from './message.js';
import type { Queue } from './queue.js';
import { DURABLE_PREFIX, QUEUE_PREFIX, storeNameOf } from './store-names.js';
import { messageFromStore } from './stored-form.js';
import type { TopicHistories } from './topic-histories.js';

/** The parts of the broker recovery reads and fills (the broker passes its own). */
export interface RecoveryHost {
  readonly store: Store;
  readonly queues: ReadonlyMap<string, Queue>;
  readonly histories: TopicHistories;
  readonly durables: DurableSubscriptions;
  /** The queue of that name, created if needed. */
  queue(name: string, destination: string): Queue;
  /** Register a store write with the broker's write barrier. */
  track(write: Promise<void>): Promise<void>;
}

/** The broker's start-up from the store and its delivery-count write-back at a clean stop. */
export class BrokerRecovery {
  /** Delivery counts the store holds for recovered messages, so a clean stop writes only changes. */
  private recordedDeliveries = new RecordedDeliveries();

  constructor(private readonly host: RecoveryHost) {}

  /** Rebuild queues, durable subscriptions and history from the store (the broker raises its seq first). */
  recover(state: RecoveredState, cleanShutdown: boolean): void {
    const { host } = this;
    for (const record of state.durableSubscriptions) host.durables.restore(record);
    this.recordedDeliveries = restoreQueueMessages(state, cleanShutdown, host.store, (storeName) =>
      this.recoveredQueue(storeName),
    );
    for (const [destination, messages] of state.history) {
      host.histories.restore(resolveDestination(destination).name, destination, messages);
    }
  }

  /**
   * The queue a stored queue name belongs to, or undefined for one no
   * longer wanted (a durable subscription that was dropped), whose leftovers
   * are cleared from the store.
   */
  private recoveredQueue(storeName: string): Queue | undefined {
    const { host } = this;
    if (storeName.startsWith(QUEUE_PREFIX)) {
      const name = storeName.slice(QUEUE_PREFIX.length);
      return host.queue(name, `/queue/${name}`);
    }
    const queue = storeName.startsWith(DURABLE_PREFIX)
      ? host.durables.queueOf(storeName.slice(DURABLE_PREFIX.length))
      : undefined;
    if (queue === undefined) void host.track(host.store.clearQueue(storeName)).catch(() => {});
    return queue;
  }

  /** Record how often each stored message was delivered, so a clean restart flags exactly those redelivered. */
  async recordDeliveries(): Promise<void> {
    const { host } = this;
    const writes: Promise<void>[] = [];
    const recorded = this.recordedDeliveries;
    const all: Queue[] = [...host.queues.values(), ...host.durables.queues()];
    for (const queue of all) {
      const storeName = storeNameOf(queue);
      if (storeName === null) continue;
      // Only counts that differ from the store's: most waiting messages were never handed out.
      queue.forEachEntry((entry) => {
        if (entry.persisted && recorded.differs(storeName, entry.seq, entry.deliveries)) {
          writes.push(host.store.recordDelivery(storeName, entry.seq, entry.deliveries));
          recorded.note(storeName, entry.seq, entry.deliveries);
        }
      });
    }
    await Promise.all(writes);
  }
}

/**
 * Put every recovered queue message back in its queue. After an unclean
 * stop (`cleanShutdown` false) each is flagged delivered at least once: the
 * broker cannot prove it was not handed out just before the crash, and a
 * duplicate must never look like a first delivery.
 */
export function restoreQueueMessages(
  state: RecoveredState,
  cleanShutdown: boolean,
  store: Store,
  queueFor: (storeName: string) => Queue | undefined,
): RecordedDeliveries {
  const recorded = new RecordedDeliveries();
  for (const [storeName, messages] of state.queues) {
    const queue = queueFor(storeName);
    if (queue === undefined) continue;
    for (const { message, deliveries } of messages) {
      if (deliveries > 0) recorded.note(storeName, message.seq, deliveries);
      queue.restore(
        new QueueEntry(messageFromStore(message), deliveriesAfter(deliveries, cleanShutdown)),
      );
    }
  }
  if (state.queueIndex === undefined) return recorded;
  // One small entry per message; its message is read from the store when
  // first dispatched or browsed (QueueEntry.recovered).
  for (const [storeName, recovered] of state.queueIndex) {
    const queue = queueFor(storeName);
    if (queue === undefined) continue;
    const loader = new StoredMessageLoader(store, storeName);
    const { seqs, priorities, expires, deliveries } = recovered;
    for (let i = 0; i < seqs.length; i++) {
      if (deliveries[i]! > 0) recorded.note(storeName, seqs[i]!, deliveries[i]!);
      queue.restore(
        QueueEntry.recovered(
          seqs[i]!,
          priorities[i]!,
          expires[i]!,
          deliveriesAfter(deliveries[i]!, cleanShutdown),
          loader,
        ),
      );
    }
  }
  return recorded;
}

/**
 * The delivery counts the store holds for recovered messages (those above
 * 0), so that a clean stop writes only the counts that changed: rewriting
 * every waiting message's count made stopping with a million waiting take
 * seconds (issue 9).
 */
export class RecordedDeliveries {
  private readonly byQueue = new Map<string, Map<number, number>>();

  note(storeName: string, seq: number, deliveries: number): void {
    let forQueue = this.byQueue.get(storeName);
    if (forQueue === undefined) {
      forQueue = new Map();
      this.byQueue.set(storeName, forQueue);
    }
    forQueue.set(seq, deliveries);
  }

  /** Whether the store's count for message `seq` is not `deliveries` (0 when it holds none). */
  differs(storeName: string, seq: number, deliveries: number): boolean {
    return (this.byQueue.get(storeName)?.get(seq) ?? 0) !== deliveries;
  }
}

function deliveriesAfter(recorded: number, cleanShutdown: boolean): number {
  return cleanShutdown ? recorded : Math.max(recorded, 1);
}

/** Reads one recovered queue message back from the store, synchronously, when its entry first needs it. */
class StoredMessageLoader implements MessageLoader {
  constructor(
    private readonly store: Store,
    private readonly storeName: string,
  ) {}

  load(seq: number): Message {
    const stored = this.store.browseQueue(this.storeName, seq - 1, 1)[0];
    if (stored === undefined || stored.seq !== seq) {
      // Only an outside change to the data file can get here: the entry is
      // removed from the store only after it was settled, i.e. loaded.
      throw new Error(`stored message ${seq} of ${this.storeName} is missing from the store`);
    }
    return messageFromStore(stored);
  }
}
