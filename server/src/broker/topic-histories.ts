import type { DestinationPolicy } from '../config.js';
import { type Counters, LIMIT_BREACHES } from '../counters.js';
import type { Store, StoredMessage } from '../store/store.js';
import { retains, TopicHistory } from './history.js';
import type { Message } from './message.js';
import { matchesPattern } from './pattern.js';
import { messageFromStore, storedForm } from './stored-form.js';

/** What the histories need from the broker that owns them. */
export interface TopicHistoriesHost {
  readonly store: Store;
  readonly counters: Counters;
  policyFor(destination: string): DestinationPolicy;
  /** Register a store write as the newest, so receipt barriers wait for it. */
  track(write: Promise<void>): Promise<void>;
}

/**
 * One store trim per this many dropped messages, not one per message: it
 * keeps the write rate down, and recovery trims whatever extra it finds.
 */
const TRIM_STEP = 128;
/** How long stream messages adopted at a cluster join wait for a live copy that may be in flight. */
const IN_FLIGHT_GRACE_MS = 30_000;

/**
 * The retained history of every topic whose policy keeps some, in memory
 * and (for persistent messages) in the store.
 */
export class TopicHistories {
  private readonly histories = new Map<string, TopicHistory>();
  private readonly droppedSinceTrim = new Map<string, number>();
  private readonly host: TopicHistoriesHost;
  private readonly ceiling: number;
  /** In a cluster, histories are kept in Redis, not in this node's store. */
  private shared = false;

  constructor(host: TopicHistoriesHost, maxHistoryMessages: number) {
    this.host = host;
    this.ceiling = maxHistoryMessages;
  }

  get size(): number {
    return this.histories.size;
  }

  /** The history of topic `name`, created on first use when its policy keeps some; else null. */
  of(name: string): TopicHistory | null {
    const existing = this.histories.get(name);
    if (existing !== undefined) return existing;
    const policy = this.host.policyFor(`/topic/${name}`);
    const asked = { maxMessages: policy.historyMaxMessages, maxAgeMs: policy.historyMaxAgeMs };
    if (!retains(asked)) return null;
    // limits.maxHistoryMessages bounds every history; config validation keeps rules' counts under it,
    // so it only binds a history kept by age alone, whose count trims are then that limit's breaches.
    const capped = asked.maxMessages === 0 || asked.maxMessages > this.ceiling;
    const retention = { ...asked, maxMessages: capped ? this.ceiling : asked.maxMessages };
    const history = new TopicHistory(
      retention,
      capped
        ? () => this.host.counters.increment(LIMIT_BREACHES, { limit: 'limits.maxHistoryMessages' })
        : undefined,
    );
    this.histories.set(name, history);
    return history;
  }

  /**
   * From now on the cluster keeps the histories (in Redis): what this node
   * restored from its own store is dropped from memory, and nothing more
   * is written to the store.
   */
  share(): void {
    this.shared = true;
    for (const history of this.histories.values()) history.clear();
  }

  /** Messages of topic `name` published before this node joined, oldest first (see TopicHistory.adoptOlder). */
  adoptOlder(name: string, older: readonly Message[]): void {
    const history = this.of(name);
    if (history === null) return;
    history.adoptOlder(older, Date.now());
    // A live copy in flight arrives within moments; the rest were heard before this node listened.
    setTimeout(() => history.forgetInFlight(), IN_FLIGHT_GRACE_MS).unref();
  }

  /** Keep a message another node published, unless it was already adopted from the cluster's stream. */
  appendRemote(name: string, message: Message): void {
    // Only a history that adopted the stream at a join can have heard it before: no policy lookup here.
    if (this.histories.get(name)?.heardBefore(message.id)) return;
    this.append(name, message)?.catch(() => {});
  }

  /** Names of the topics that keep a history. */
  names(): IterableIterator<string> {
    return this.histories.keys();
  }

  /** Size and retention of topic `name`'s history; null when it keeps none (the policy may still ask for one). */
  describe(name: string): { size: number; maxMessages: number; maxAgeMs: number } | null {
    const history = this.histories.get(name);
    if (history === undefined) return null;
    return { size: history.size, ...history.retention };
  }

  /** Drop topic `name`'s history, in memory and in the store (admin delete). */
  remove(name: string): void {
    if (!this.histories.delete(name)) return;
    this.droppedSinceTrim.delete(name);
    const { store } = this.host;
    if (store.durable)
      this.host.track(store.trimHistory(`/topic/${name}`, Number.MAX_SAFE_INTEGER)).catch(() => {});
  }

  /** Retain a message published to topic `name`; returns its store write when it is persistent. */
  append(name: string, message: Message): Promise<void> | null {
    const history = this.of(name);
    if (history === null) return null;
    const dropped = history.append(message, message.timestamp);
    const { store } = this.host;
    if (!message.persistent || !store.durable || this.shared) return null;
    const destination = `/topic/${name}`;
    const written = this.host.track(store.appendHistory(destination, storedForm(message)));
    if (dropped > 0) this.trimStored(name, destination, dropped);
    return written;
  }

  /**
   * The histories a history request on `name` reads: the topic's own, or for
   * a wildcard every matching topic's. Null when retention is off for it.
   */
  selecting(name: string, wildcard: boolean): TopicHistory[] | null {
    if (!wildcard) {
      const own = this.of(name);
      return own === null ? null : [own];
    }
    const policy = this.host.policyFor(`/topic/${name}`);
    const matching = [...this.histories]
      .filter(([topic]) => matchesPattern(name, topic))
      .map(([, h]) => h);
    if (
      matching.length === 0 &&
      !retains({ maxMessages: policy.historyMaxMessages, maxAgeMs: policy.historyMaxAgeMs })
    ) {
      return null;
    }
    return matching;
  }

  /** Rebuild topic `name`'s history from the store at start-up; drop the stored copy if retention is now off. */
  restore(name: string, destination: string, messages: readonly StoredMessage[]): void {
    const { store } = this.host;
    const history = this.of(name);
    if (history === null) {
      this.host.track(store.trimHistory(destination, Number.MAX_SAFE_INTEGER)).catch(() => {});
      return;
    }
    const now = Date.now();
    let dropped = 0;
    for (const stored of messages)
      dropped = Math.max(dropped, history.append(messageFromStore(stored), now));
    if (dropped > 0) this.host.track(store.trimHistory(destination, dropped)).catch(() => {});
  }

  private trimStored(name: string, destination: string, droppedUpTo: number): void {
    const count = (this.droppedSinceTrim.get(name) ?? 0) + 1;
    if (count < TRIM_STEP) {
      this.droppedSinceTrim.set(name, count);
      return;
    }
    this.droppedSinceTrim.set(name, 0);
    this.host.track(this.host.store.trimHistory(destination, droppedUpTo)).catch(() => {});
  }
}
