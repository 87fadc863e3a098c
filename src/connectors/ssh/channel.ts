/**
 * Commands that need a channel of their own: a stdin that is a stream (a large upload is
 * piped through with backpressure, never held in memory) and file fetches (stdout streamed
 * to a local file). The channel counts against the connection's limit while it is open.
 *
 *   const r = await execOnChannel(client, limiter, { host: 'web1', words: "sh -c 'cat > /tmp/x'", stdin: createReadStream('big.iso'), gateTimeoutMs: 10000 }, dropped);
 */
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { becomeFailureMessage, ReadyGate } from '../common/gate.ts';
import { gatedCommand, sudoWords, token } from '../common/wrap.ts';
import { openWithin, type ChannelLimiter } from './limiter.ts';
import type { ShellBecome } from './shells.ts';
import { BecomeRefused, openChannel, recordedExit, type DroppedCheck, type RawResult } from './shell.ts';

export interface ChannelSpec {
  host: string;
  /** Shell words of the command (see runWords). */
  words: string;
  become?: ShellBecome | undefined;
  stdin?: Readable | undefined;
  /** Where stdout goes; collected in memory when absent. */
  stdout?: Writable | undefined;
  gateTimeoutMs: number;
  /** Kill the channel if no exit status arrived by then. */
  guardMs?: number | undefined;
}

/** How long a closed channel waits for its exit status before reporting none (255). */
const EXIT_STATUS_WAIT_MS = 5_000;

/** Exit status from ssh2's exit event: the code, or 128 + the signal number. */
function statusOf(code: number | null | undefined, signal: string | undefined): number | undefined {
  if (typeof code === 'number') return code;
  if (signal) return 128 + ((constants.signals as Record<string, number>)[`SIG${signal}`] ?? 0);
  return undefined;
}

/** Runs one command on its own channel. */
export async function execOnChannel(client: Client, limiter: ChannelLimiter, spec: ChannelSpec, dropped: DroppedCheck): Promise<RawResult | BecomeRefused> {
  const ready = token('capstan-ready-');
  const prompt = token('capstan-sudo-');
  const prefix = spec.become ? sudoWords(spec.become, prompt) : '';
  const { ch, release } = await openWithin(limiter, () => openChannel(client, gatedCommand(ready, spec.words, prefix), spec.host, dropped));
  try {
    const gate = new ReadyGate({ ready, prompt, password: spec.become?.password, send: (s) => ch.write(s) });
    return await drive(ch, gate, spec, dropped);
  } finally {
    release();
  }
}

function drive(ch: ClientChannel, gate: ReadyGate, spec: ChannelSpec, dropped: DroppedCheck): Promise<RawResult | BecomeRefused> {
  return new Promise((resolve, reject) => {
    const run = new ChannelRun(ch, spec);
    if (!spec.stdout) ch.on('data', (c: Buffer) => run.out.push(c));
    ch.stderr.on('data', (c: Buffer) => {
      if (run.opened) return void run.err.push(c);
      const s = gate.feed(c);
      if (s.state === 'ready') run.start(s.rest);
      else if (s.state === 'failed') ch.close();
    });
    let closed = false;
    let waitForExit: NodeJS.Timeout | undefined;
    ch.on('exit', (code: number | null, signal?: string) => {
      run.status = statusOf(code, signal);
      if (closed && waitForExit) {
        clearTimeout(waitForExit);
        settle();
      }
    });
    const settle = () => {
      const early = recordedExit(ch);
      if (run.status === undefined && early) run.status = statusOf(early.code, early.signal);
      const lost = dropped();
      if (run.failure) reject(run.failure);
      else if (run.status === undefined && !run.timedOut && lost) reject(lost);
      else if (!run.opened) {
        const why = gate.text().includes('try again') ? 'wrong-password' : 'exited';
        resolve(new BecomeRefused(becomeFailureMessage(spec.host, spec.become?.user ?? 'the login user', gate.text(), why)));
      } else resolve(run.result());
    };
    ch.once('close', () => {
      closed = true;
      run.stopTimers();
      // The stream can close as soon as its output ended, before the exit-status request that
      // follows the EOF has been read: wait for it (or for the connection's own close).
      if (run.status === undefined && !recordedExit(ch) && !run.failure && !run.timedOut) waitForExit = setTimeout(settle, EXIT_STATUS_WAIT_MS);
      else settle();
    });
  });
}

/** The state of one command on its own channel, from the gate to the exit status. */
class ChannelRun {
  out: Buffer[] = [];
  err: Buffer[] = [];
  opened = false;
  status: number | undefined;
  timedOut = false;
  failure: Error | undefined;
  #gateTimer: NodeJS.Timeout;
  #guard: NodeJS.Timeout | undefined;

  constructor(
    private readonly ch: ClientChannel,
    private readonly spec: ChannelSpec,
  ) {
    this.#gateTimer = setTimeout(() => ch.close(), spec.gateTimeoutMs);
  }

  /** The command started: send its stdin (or EOF) and arm the time guard. */
  start(rest: Buffer): void {
    const { ch, spec } = this;
    this.opened = true;
    clearTimeout(this.#gateTimer);
    if (rest.length > 0) this.err.push(rest);
    if (spec.guardMs !== undefined) this.#guard = setTimeout(() => this.#kill(), spec.guardMs);
    if (spec.stdout) ch.pipe(spec.stdout);
    if (!spec.stdin) return void ch.end();
    spec.stdin.once('error', (e: Error) => {
      this.failure = e;
      ch.close();
    });
    spec.stdin.pipe(ch);
  }

  #kill(): void {
    this.timedOut = true;
    try {
      this.ch.signal('KILL');
    } catch {
      // already closed
    }
    this.ch.close();
  }

  stopTimers(): void {
    clearTimeout(this.#gateTimer);
    if (this.#guard) clearTimeout(this.#guard);
  }

  result(): RawResult {
    const exitCode = this.timedOut ? 124 : (this.status ?? 255);
    return { exitCode, stdout: Buffer.concat(this.out), stderr: Buffer.concat(this.err), timedOut: this.timedOut };
  }
}
