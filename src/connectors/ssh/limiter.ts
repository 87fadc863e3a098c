/**
 * Counts the channels open on one SSH connection so that there are never more than
 * MaxSessions: work beyond the limit waits its turn instead of failing with "channel open
 * failure". When the connection dies, everyone still waiting is rejected at once.
 *
 *   const limiter = new ChannelLimiter(8);
 *   const release = await limiter.acquire();
 *   try { await useChannel(); } finally { release(); }
 */
export class ChannelLimiter {
  #inUse = 0;
  #waiting: { grant: (release: () => void) => void; fail: (e: Error) => void }[] = [];
  #broken: Error | undefined;

  /** Called each time a channel is granted (for the connector's channel counter). */
  constructor(
    readonly max: number,
    private readonly onGrant: () => void = () => undefined,
  ) {}

  get inUse(): number {
    return this.#inUse;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves with a release function once a channel may be opened. */
  acquire(): Promise<() => void> {
    if (this.#broken) return Promise.reject(this.#broken);
    if (this.#inUse < this.max) return Promise.resolve(this.#grant());
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
      const next = this.#waiting.shift();
      if (next) next.grant(this.#grant());
    };
  }
}
