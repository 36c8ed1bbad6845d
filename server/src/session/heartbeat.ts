import { SessionError } from './errors.js';

/** What the two sides agreed: how often the broker sends, how long it waits for the client. 0 = off. */
export interface HeartbeatAgreement {
  sendEveryMs: number;
  expectEveryMs: number;
}

/** Parse a `heart-beat:cx,cy` header; absent means `0,0` (STOMP 1.1, "Heart-beating"). */
export function parseHeartBeat(value: string | undefined): [number, number] {
  if (value === undefined) return [0, 0];
  const comma = value.indexOf(',');
  const first = comma < 0 ? '' : value.slice(0, comma).trim();
  const second = comma < 0 ? '' : value.slice(comma + 1).trim();
  if (!/^\d{1,9}$/.test(first) || !/^\d{1,9}$/.test(second)) {
    throw new SessionError(
      'invalid-header',
      `invalid heart-beat header: ${value.slice(0, 40)}`,
      "The heart-beat header must be two non-negative integers in milliseconds, like 'heart-beat:10000,10000' " +
        '(how often you can send, how often you want to receive; 0 means never).',
    );
  }
  return [Number(first), Number(second)];
}

/**
 * STOMP 1.2 negotiation: the broker sends every max(its offer, what the client
 * wants) when both are non-zero, and expects the client every max(what the
 * client offers, what the broker wants) when both are non-zero.
 */
export function negotiateHeartBeat(
  client: [number, number],
  serverSendMs: number,
  serverReceiveMs: number,
): HeartbeatAgreement {
  const [clientSend, clientReceive] = client;
  return {
    sendEveryMs:
      serverSendMs === 0 || clientReceive === 0 ? 0 : Math.max(serverSendMs, clientReceive),
    expectEveryMs:
      clientSend === 0 || serverReceiveMs === 0 ? 0 : Math.max(clientSend, serverReceiveMs),
  };
}

/** Anything the scheduler looks after on each tick. */
export interface Ticking {
  onTick(now: number, tickMs: number): void;
}

/**
 * One timer for every connection instead of one per connection: a timer
 * costs memory per socket and wakes the loop per socket. Each tick sessions
 * send due heart-beats and close silent or never-connected peers. The period
 * shrinks to follow the smallest interval in use.
 */
export class HeartbeatScheduler {
  private readonly members = new Set<Ticking>();
  private timer: NodeJS.Timeout | null = null;
  private tickMs = 1000;

  add(member: Ticking): void {
    this.members.add(member);
    this.ensureRunning();
  }

  remove(member: Ticking): void {
    this.members.delete(member);
  }

  /** Make sure ticks are frequent enough for an interval of `intervalMs`. */
  requireResolution(intervalMs: number): void {
    if (intervalMs <= 0) return;
    const wanted = Math.max(5, Math.min(1000, Math.floor(intervalMs / 4)));
    if (wanted < this.tickMs) {
      this.tickMs = wanted;
      this.restart();
    }
  }

  get resolutionMs(): number {
    return this.tickMs;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.members.clear();
  }

  private ensureRunning(): void {
    if (this.timer === null) this.restart();
  }

  private restart(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), this.tickMs);
    // The listeners keep the process alive; the ticker alone should not.
    this.timer.unref();
  }

  private tick(): void {
    const now = Date.now();
    for (const member of this.members) member.onTick(now, this.tickMs);
  }
}
