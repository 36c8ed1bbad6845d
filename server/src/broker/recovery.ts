/**
 * Start-up: turning what the store recovered into queue entries. The broker
 * decides which queue a stored name belongs to; this file owns how entries
 * are rebuilt, in full or (a store's lazy recovery) as an index whose
 * messages are read back when first needed.
 */
import type { RecoveredState, Store } from '../store/store.js';
import { type Message, type MessageLoader, QueueEntry } from './message.js';
import type { Queue } from './queue.js';
import { messageFromStore } from './stored-form.js';

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
