/**
 * One long-lived `sh` on the connection (behind `sudo` for a become user), fed framed
 * commands one at a time. A command costs about one network round trip instead of a new
 * channel. A command that outlives its time limit is stopped remotely by `timeout`; if even
 * the frame never comes back, the shell is abandoned, its process tree killed over another
 * channel (`onWedged`), and the result says `timedOut`.
 *
 *   const opened = await RemoteShell.open(client, limiter, { host: 'web1', gateTimeoutMs: 10000 }, dropped, killTree);
 *   if (opened instanceof RemoteShell) {
 *     const r = await opened.run({ words: runWords('id -u', { killAfterMs: 2000 }) });   // RawResult
 *   }
 */
import type { Client, ClientChannel } from 'ssh2';
import type { Secret } from '../../commands/secret.ts';
import { ConnectionError } from '../../errors.ts';
import { buildFrame, MarkedStream, type FrameInput } from '../common/frame.ts';
import { becomeFailureMessage, ReadyGate } from '../common/gate.ts';
import { gatedCommand, sudoWords, token } from '../common/wrap.ts';
import { ChannelRefused, openWithin, type ChannelLimiter } from './limiter.ts';

export interface RawResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
}

export interface ShellSpec {
  host: string;
  /** Absent for the login user's own shell. */
  become?: { user: string; password?: Secret | undefined } | undefined;
  gateTimeoutMs: number;
}

/** Why a become shell could not start: shown as the failed command's stderr. */
export class BecomeRefused {
  constructor(readonly message: string) {}
}

/** Returns the connection's failure once it has dropped, else undefined. */
export type DroppedCheck = () => ConnectionError | undefined;

interface Running {
  out: MarkedStream;
  err: MarkedStream;
  resolve: (r: RawResult) => void;
  reject: (e: Error) => void;
  guard?: NodeJS.Timeout;
}

/** Exit statuses seen on channels, recorded from the moment a channel opens. */
const exits = new WeakMap<ClientChannel, { code: number | null; signal?: string }>();

/**
 * The exit status a channel reported, if any. A fast command can finish, and its exit status
 * be parsed, in the same read as the channel's opening: before a caller can add a listener.
 */
export function recordedExit(ch: ClientChannel): { code: number | null; signal?: string } | undefined {
  return exits.get(ch);
}

/** Opens an exec channel running `command`; a refusal while the connection is down is "dropped". */
export function openChannel(client: Client, command: string, host: string, dropped: DroppedCheck): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (err, ch) => {
        if (!err) {
          ch.on('exit', (code: number | null, signal?: string) => exits.set(ch, signal === undefined ? { code } : { code, signal }));
          return resolve(ch);
        }
        reject(dropped() ?? new ChannelRefused(host, `cannot open an SSH channel: ${err.message} (sshd's MaxSessions allows fewer than 2 sessions; Capstan needs 2)`, 'other', { cause: err }));
      });
    } catch (e) {
      reject(dropped() ?? new ConnectionError(host, `cannot open an SSH channel: ${(e as Error).message}`, 'dropped', { cause: e }));
    }
  });
}

type GateOutcome = 'ready' | 'wrong-password' | 'exited' | 'timeout';

/** Called when a shell stopped answering: kill its process tree by other means. */
export type WedgedHandler = (pid: number) => void;

export class RemoteShell {
  #running: Running | undefined;
  #dead = false;
  #pid: number | undefined;
  #gate: { gate: ReadyGate; done: (o: GateOutcome) => void } | undefined;
  lastUsed = Date.now();

  private constructor(
    private readonly channel: ClientChannel,
    private readonly release: () => void,
    private readonly dropped: DroppedCheck,
    private readonly onWedged: WedgedHandler,
  ) {
    channel.on('data', (c: Buffer) => this.#onData(c, 'out'));
    channel.stderr.on('data', (c: Buffer) => this.#onStderr(c));
    channel.once('close', () => this.#onClose());
  }

  get dead(): boolean {
    return this.#dead;
  }

  get busy(): boolean {
    return this.#running !== undefined;
  }

  /** The remote shell's process id (from its ready gate). */
  get pid(): number | undefined {
    return this.#pid;
  }

  /** Starts the shell; a become shell that sudo refuses gives BecomeRefused. */
  static async open(client: Client, limiter: ChannelLimiter, spec: ShellSpec, dropped: DroppedCheck, onWedged: WedgedHandler): Promise<RemoteShell | BecomeRefused> {
    const ready = token('capstan-ready-');
    const prompt = token('capstan-sudo-');
    const prefix = spec.become ? sudoWords({ user: spec.become.user, password: spec.become.password }, prompt) : '';
    const { ch: channel, release } = await openWithin(limiter, () => openChannel(client, gatedCommand(ready, 'sh', prefix), spec.host, dropped));
    const shell = new RemoteShell(channel, release, dropped, onWedged);
    const gate = new ReadyGate({ ready, prompt, password: spec.become?.password, send: (s) => channel.write(s) });
    const outcome = await shell.#passGate(gate, spec.gateTimeoutMs);
    if (outcome === 'ready') return shell;
    shell.close();
    const lost = dropped();
    if (lost) throw lost;
    if (!spec.become) throw new ConnectionError(spec.host, `the remote shell did not start (${outcome}): ${gate.text()}`, 'other');
    const why = outcome === 'wrong-password' ? 'wrong-password' : 'exited';
    return new BecomeRefused(becomeFailureMessage(spec.host, spec.become.user, gate.text(), why));
  }

  #passGate(gate: ReadyGate, timeoutMs: number): Promise<GateOutcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done('timeout'), timeoutMs);
      const done = (o: GateOutcome) => {
        clearTimeout(timer);
        this.#gate = undefined;
        resolve(o);
      };
      this.#gate = { gate, done };
    });
  }

  /** Runs one framed command. Callers queue: one command at a time. */
  run(input: FrameInput, guardMs?: number): Promise<RawResult> {
    if (this.#dead || this.#running) return Promise.reject(new Error('shell is not available'));
    const frame = buildFrame(input);
    this.lastUsed = Date.now();
    return new Promise<RawResult>((resolve, reject) => {
      const running: Running = { out: new MarkedStream(frame.marker, true), err: new MarkedStream(frame.marker, false), resolve, reject };
      if (guardMs !== undefined) running.guard = setTimeout(() => this.#guardFired(), guardMs);
      this.#running = running;
      this.channel.write(frame.text);
    });
  }

  /** Ends the shell (EOF, then close). */
  close(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.channel.end();
    this.channel.close();
  }

  #onStderr(chunk: Buffer): void {
    const g = this.#gate;
    if (!g) return this.#onData(chunk, 'err');
    const s = g.gate.feed(chunk);
    if (s.state === 'failed') g.done(s.why);
    else if (s.state === 'ready') {
      this.#pid = s.pid;
      g.done('ready');
    }
  }

  #onData(chunk: Buffer, which: 'out' | 'err'): void {
    const r = this.#running;
    if (!r) return;
    (which === 'out' ? r.out : r.err).push(chunk);
    if (!r.out.done || !r.err.done) return;
    this.#settle();
    r.resolve({ exitCode: r.out.status ?? 255, stdout: r.out.body, stderr: r.err.body, timedOut: false });
  }

  #settle(): void {
    const r = this.#running;
    if (r?.guard) clearTimeout(r.guard);
    this.#running = undefined;
    this.lastUsed = Date.now();
  }

  #guardFired(): void {
    const r = this.#running;
    if (!r) return;
    this.#settle();
    this.#dead = true;
    this.channel.close();
    if (this.#pid !== undefined) this.onWedged(this.#pid);
    r.resolve({ exitCode: 124, stdout: r.out.body, stderr: Buffer.from('command timed out and its shell was killed\n'), timedOut: true });
  }

  #onClose(): void {
    this.#dead = true;
    this.release();
    this.#gate?.done('exited');
    const r = this.#running;
    if (!r) return;
    this.#settle();
    setTimeout(() => {
      const lost = this.dropped();
      if (lost) r.reject(lost);
      else r.resolve({ exitCode: 255, stdout: r.out.body, stderr: Buffer.from('the remote shell ended before the command finished\n'), timedOut: false });
    }, 50);
  }
}
