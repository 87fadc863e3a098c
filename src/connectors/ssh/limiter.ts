/**
 * Counts the channels open on one SSH connection so that there are never more than
 * MaxSessions: work beyond the limit waits its turn instead of failing with "channel open
 * failure". When the connection dies, everyone still waiting is rejected at once.
 *
 * When the server refuses a channel below the limit (its MaxSessions is lower than ours),
 * `refused` lowers the limit to the channels open, and the work queues on them.
 *
 *   const limiter = new ChannelLimiter(8);
 *   const release = await limiter.acquire();
 *   try { await useChannel(); } finally { release(); }
 *   // on "open failure", after release(): limiter.refused(); then acquire again
 */
import { ConnectionError } from '../../errors.ts';

/** The server refused to open a channel on a live connection (sshd's MaxSessions reached). */
export class ChannelRefused extends ConnectionError {}

export class ChannelLimiter {
  #inUse = 0;
  #waiting: { grant: (release: () => void) => void; fail: (e: Error) => void }[] = [];
  #broken: Error | undefined;
  #lowered: ((max: number) => void)[] = [];

  #max: number;

  /** Called each time a channel is granted (for the connector's channel counter). */
  constructor(
    max: number,
    private readonly onGrant: () => void = () => undefined,
  ) {
    this.#max = max;
  }

  /** Channels that may be open at once. */
  get max(): number {
    return this.#max;
  }

  /**
   * The server refused a new channel while the channels now in use were open: it allows no
   * more than those, so they become the limit (never below 2: a shell and a transfer need one
   * each; with fewer open, sshd is still freeing a closed session). Returns whether it lowered.
   */
  refused(): boolean {
    if (this.#inUse < 2 || this.#inUse >= this.#max) return false;
    this.#max = this.#inUse;
    for (const l of this.#lowered) l(this.#max);
    return true;
  }

  /** Calls `listener` with the new limit each time the server's refusal lowers it. */
  onLowered(listener: (max: number) => void): void {
    this.#lowered.push(listener);
  }

  get inUse(): number {
    return this.#inUse;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves with a release function once a channel may be opened. */
  acquire(): Promise<() => void> {
    if (this.#broken) return Promise.reject(this.#broken);
    if (this.#inUse < this.#max) return Promise.resolve(this.#grant());
    return new Promise((grant, fail) => this.#waiting.push({ grant, fail }));
  }

  /** Rejects every waiter and every later acquire with `error`. */
  break(error: Error): void {
    this.#broken = error;
    for (const w of this.#waiting.splice(0)) w.fail(error);
  }

  #grant(): () => void {
    this.#inUse++;
    this.onGrant();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inUse--;
      if (this.#inUse >= this.#max) return;
      const next = this.#waiting.shift();
      if (next) next.grant(this.#grant());
    };
  }
}

/** Refusals in a row, without the limit going down, before the refusal is the answer. */
const REFUSALS_BEFORE_GIVING_UP = 30;
const REFUSAL_PAUSE_MS = 100;

/**
 * Takes a channel from the limiter and opens it; when the server refuses it (its MaxSessions
 * is lower than our limit), lowers the limit to the channels open and waits for one of them.
 * A refusal that cannot lower the limit (sshd still freeing a closed session) is retried after
 * a pause, and reported only when it persists.
 */
export async function openWithin<T>(limiter: ChannelLimiter, open: () => Promise<T>): Promise<{ ch: T; release: () => void }> {
  for (let stuck = 0; ; ) {
    const release = await limiter.acquire();
    try {
      return { ch: await open(), release };
    } catch (e) {
      release();
      if (!(e instanceof ChannelRefused)) throw e;
      if (limiter.refused()) continue;
      if (++stuck >= REFUSALS_BEFORE_GIVING_UP) throw e;
      await new Promise((r) => setTimeout(r, REFUSAL_PAUSE_MS));
    }
  }
}
