/**
 * The shells of one connection: the login user's, and one per become user, each opened
 * lazily on first use and fed one command at a time in arrival order. Shells never take
 * the last free channel (streams and fetches need one); an idle shell is closed to make
 * room when that limit is reached. A shell that dies is replaced on the next command.
 *
 *   const pool = new ShellPool(client, limiter, { host: 'web1', gateTimeoutMs: 10000 }, dropped);
 *   const r = await pool.run({ user: 'root' }, { words: "sh -c 'id -u'" });  // RawResult | BecomeRefused
 */
import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import type { Client } from 'ssh2';
import type { Secret } from '../../commands/secret.ts';
import type { FrameInput } from '../common/frame.ts';
import { runWords } from '../common/wrap.ts';
import { execOnChannel } from './channel.ts';
import type { ChannelLimiter } from './limiter.ts';
import { BecomeRefused, RemoteShell, type DroppedCheck, type RawResult } from './shell.ts';

export interface ShellBecome {
  user: string;
  password?: Secret | undefined;
}

interface Slot {
  tail: Promise<unknown>;
  shell?: RemoteShell | undefined;
  refused?: BecomeRefused;
}

/**
 * One shell per become user and password: a refusal is remembered so a wrong password is
 * never tried twice (no lockout), while a different password gets its own attempt.
 */
function slotKey(become: ShellBecome | undefined): string {
  if (!become) return 'login';
  const pw = become.password ? createHash('sha256').update(become.password.reveal()).digest('hex').slice(0, 16) : '-';
  return `become:${become.user}:${pw}`;
}

export class ShellPool {
  #slots = new Map<string, Slot>();
  #events = new EventEmitter();
  #opening = 0;

  constructor(
    private readonly client: Client,
    private readonly limiter: ChannelLimiter,
    private readonly spec: { host: string; gateTimeoutMs: number },
    private readonly dropped: DroppedCheck,
  ) {
    this.#events.setMaxListeners(0);
  }

  /** Queues a command on the shell of `become` (or the login shell). */
  run(become: ShellBecome | undefined, input: FrameInput, guardMs?: number): Promise<RawResult | BecomeRefused> {
    const key = slotKey(become);
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = { tail: Promise.resolve() };
      this.#slots.set(key, slot);
    }
    const s = slot;
    const job = s.tail.then(async () => {
      const lost = this.dropped();
      if (lost) throw lost;
      if (s.refused) return s.refused;
      const shell = await this.#shellFor(s, become);
      if (shell instanceof BecomeRefused) return shell;
      try {
        return await shell.run(input, guardMs);
      } finally {
        this.#events.emit('idle');
      }
    });
    s.tail = job.catch(() => undefined);
    return job;
  }

  async #shellFor(slot: Slot, become: ShellBecome | undefined): Promise<RemoteShell | BecomeRefused> {
    if (slot.shell && !slot.shell.dead) return slot.shell;
    await this.#reserve();
    try {
      const onWedged = (pid: number) => void this.#killTree(pid, become);
      const opened = await RemoteShell.open(this.client, this.limiter, { ...this.spec, become }, this.dropped, onWedged);
      if (opened instanceof BecomeRefused) slot.refused = opened;
      else slot.shell = opened;
      return opened;
    } finally {
      this.#opening--;
      this.#events.emit('idle');
    }
  }

  /**
   * Waits until one more shell fits below the channel limit (minus one kept for streams),
   * closing the least recently used idle shell when that makes room, then counts it as opening.
   */
  async #reserve(): Promise<void> {
    for (;;) {
      const open = [...this.#slots.values()].map((s) => s.shell).filter((sh): sh is RemoteShell => !!sh && !sh.dead);
      if (open.length + this.#opening < this.limiter.max - 1) break;
      const idle = open.filter((sh) => !sh.busy).sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (idle) {
        idle.close();
        break;
      }
      await once(this.#events, 'idle');
    }
    this.#opening++;
  }

  /**
   * Kills a shell that stopped answering, and its children's process groups (the command
   * under `timeout` leads its own group), over a fresh channel as the same user.
   */
  async #killTree(pid: number, become: ShellBecome | undefined): Promise<void> {
    const script = `p=${pid}; kids=$(pgrep -P $p 2>/dev/null || ps -o pid= --ppid $p 2>/dev/null); for k in $kids; do kill -KILL -- -$k $k; done 2>/dev/null; kill -KILL $p`;
    const spec = { host: this.spec.host, words: runWords(script, { killAfterMs: 1_000 }), become, gateTimeoutMs: this.spec.gateTimeoutMs, guardMs: 10_000 };
    await execOnChannel(this.client, this.limiter, spec, this.dropped).catch(() => undefined);
  }

  closeAll(): void {
    for (const s of this.#slots.values()) s.shell?.close();
  }
}
