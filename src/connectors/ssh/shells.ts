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
  become?: ShellBecome | undefined;
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

/**
 * Shell text that kills the session of process `pid` (sshd starts each channel's command in a
 * session of its own; sudo with use_pty in another): the shell, the command it runs, and every
 * child, process groups of `timeout` included. Daemons that left the session are not touched.
 */
export function killSessionScript(pid: number): string {
  const p = Math.trunc(pid);
  return [
    `s=$(ps -o sid= -p ${p} 2>/dev/null | tr -d ' ')`,
    `[ -n "$s" ] && [ "$s" -gt 1 ] || exit 0`,
    `pkill -KILL -s "$s" 2>/dev/null || for k in $(ps -eo pid=,sid= | awk -v s="$s" '$2 == s { print $1 }'); do kill -KILL "$k" 2>/dev/null; done`,
    'exit 0',
  ].join('\n');
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
    limiter.onLowered(() => this.#trim());
  }

  /** Queues a command on the shell of `become` (or the login shell). */
  run(become: ShellBecome | undefined, input: FrameInput, guardMs?: number): Promise<RawResult | BecomeRefused> {
    const key = slotKey(become);
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = { tail: Promise.resolve(), become };
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
        this.#trim();
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

  #openShells(): RemoteShell[] {
    return [...this.#slots.values()].map((s) => s.shell).filter((sh): sh is RemoteShell => !!sh && !sh.dead);
  }

  /** Closes idle shells, least recently used first, while there are more than the limit allows. */
  #trim(): void {
    const idle = this.#openShells().filter((sh) => !sh.busy).sort((a, b) => a.lastUsed - b.lastUsed);
    let extra = this.#openShells().length + this.#opening - (this.limiter.max - 1);
    for (const sh of idle) {
      if (extra-- <= 0) break;
      sh.close();
    }
  }

  /**
   * Waits until one more shell fits below the channel limit (minus one kept for streams),
   * closing the least recently used idle shell when that makes room, then counts it as opening.
   */
  async #reserve(): Promise<void> {
    for (;;) {
      const open = this.#openShells();
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
   * Kills a shell that stopped answering, with everything it started (see killSessionScript),
   * over a fresh channel as the same user.
   */
  async #killTree(pid: number, become: ShellBecome | undefined): Promise<void> {
    const spec = { host: this.spec.host, words: runWords(killSessionScript(pid), { killAfterMs: 1_000 }), become, gateTimeoutMs: this.spec.gateTimeoutMs, guardMs: 10_000 };
    await execOnChannel(this.client, this.limiter, spec, this.dropped).catch(() => undefined);
  }

  /** Kills every shell that is running a command, with its command: nothing is left running. */
  async interrupt(): Promise<void> {
    const busy = [...this.#slots.entries()].filter(([, s]) => s.shell?.busy && s.shell.pid !== undefined);
    await Promise.all(busy.map(([, s]) => this.#killTree(s.shell!.pid!, s.become)));
  }

  closeAll(): void {
    for (const s of this.#slots.values()) s.shell?.close();
  }
}
