import type { Subscription } from '../broker/subscription.js';

const NONE: readonly Subscription[] = [];

/**
 * A connection's subscriptions, by id (SUBSCRIBE/UNSUBSCRIBE, 1.0/1.1 ACK)
 * and by handle (the number in a 1.2 `ack` header). Most connections hold
 * exactly one, so that one is kept inline and the two Maps are made only
 * for the second: two empty Maps cost about 370 bytes per connection, a
 * tenth of the idle-connection budget (issue 9).
 */
export class SubscriptionTable {
  private only: Subscription | null = null;
  private byId: Map<string, Subscription> | null = null;
  private byHandle: Map<number, Subscription> | null = null;

  get size(): number {
    if (this.byId !== null) return this.byId.size;
    return this.only === null ? 0 : 1;
  }

  get(id: string): Subscription | undefined {
    if (this.byId !== null) return this.byId.get(id);
    return this.only !== null && this.only.id === id ? this.only : undefined;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  withHandle(handle: number): Subscription | undefined {
    if (this.byHandle !== null) return this.byHandle.get(handle);
    return this.only !== null && this.only.handle === handle ? this.only : undefined;
  }

  /** Add under its id; the caller has checked that the id is free. */
  add(subscription: Subscription): void {
    if (this.byId === null) {
      if (this.only === null) {
        this.only = subscription;
        return;
      }
      this.byId = new Map([[this.only.id, this.only]]);
      this.byHandle = new Map([[this.only.handle, this.only]]);
      this.only = null;
    }
    this.byId.set(subscription.id, subscription);
    this.byHandle!.set(subscription.handle, subscription);
  }

  /** Remove this subscription (a different one under the same id stays). */
  remove(subscription: Subscription): void {
    if (this.byId === null) {
      if (this.only === subscription) this.only = null;
      return;
    }
    if (this.byId.get(subscription.id) !== subscription) return;
    this.byId.delete(subscription.id);
    this.byHandle!.delete(subscription.handle);
    if (this.byId.size === 1) {
      // Back to one: give the Maps' memory back.
      this.only = this.byId.values().next().value as Subscription;
      this.byId = null;
      this.byHandle = null;
    }
  }

  /**
   * Every subscription, as a snapshot, so a caller may add or remove
   * while it walks them.
   */
  values(): readonly Subscription[] {
    if (this.byId !== null) return [...this.byId.values()];
    return this.only === null ? NONE : [this.only];
  }

  /** Remove all and return them. */
  drain(): readonly Subscription[] {
    const all = this.values();
    this.only = null;
    this.byId = null;
    this.byHandle = null;
    return all;
  }
}
