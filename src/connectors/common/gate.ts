/**
 * The readiness gate in front of a command started through `gatedCommand`: reads stderr
 * until the ready token, answers sudo's random prompt with the password once, and calls a
 * second prompt what it is (a wrong password), so a bad password fails at once instead of
 * hanging or retrying.
 *
 *   const gate = new ReadyGate({ ready, prompt, password, send: (s) => channel.write(s) });
 *   channel.stderr.on('data', (c) => { const s = gate.feed(c); if (s.state === 'ready') use(s.rest); });
 */
import type { Secret } from '../../commands/secret.ts';

export type GateState =
  | { state: 'waiting' }
  | { state: 'ready'; rest: Buffer; pid: number | undefined }
  | { state: 'failed'; why: 'wrong-password' };

export interface GateOptions {
  ready: string;
  prompt: string;
  password?: Secret | undefined;
  /** Writes to the command's stdin (the password goes there, followed by a newline). */
  send: (data: string) => void;
}

export class ReadyGate {
  #seen = Buffer.alloc(0);
  #answered = 0;
  readonly #ready: Buffer;
  readonly #prompt: Buffer;
  constructor(private readonly opts: GateOptions) {
    this.#ready = Buffer.from(opts.ready);
    this.#prompt = Buffer.from(opts.prompt);
  }

  /** Feeds stderr bytes; returns what is known so far. */
  feed(chunk: Buffer): GateState {
    this.#seen = Buffer.concat([this.#seen, chunk]);
    const at = this.#seen.indexOf(this.#ready);
    if (at >= 0) {
      const rest = this.#seen.subarray(at + this.#ready.length);
      this.#seen = this.#seen.subarray(0, at);
      const pid = / pid=(\d+) $/.exec(this.#seen.toString('latin1'))?.[1];
      return { state: 'ready', rest, pid: pid === undefined ? undefined : Number(pid) };
    }
    const prompts = this.#count(this.#prompt);
    if (prompts > this.#answered) {
      if (this.#answered > 0 || !this.opts.password) return { state: 'failed', why: 'wrong-password' };
      this.#answered = prompts;
      this.opts.send(`${this.opts.password.reveal()}\n`);
    }
    return { state: 'waiting' };
  }

  /** What sudo printed before giving up, without its prompts. */
  text(): string {
    return this.#seen.toString('utf8').split(this.opts.prompt).join('').trim();
  }

  #count(needle: Buffer): number {
    let n = 0;
    for (let i = this.#seen.indexOf(needle); i >= 0; i = this.#seen.indexOf(needle, i + needle.length)) n++;
    return n;
  }
}

/** A message that tells the user what to do when sudo refused to start the command. */
export function becomeFailureMessage(host: string, user: string, sudoText: string, why?: 'wrong-password' | 'exited'): string {
  if (why === 'wrong-password') {
    return `sudo on ${host} rejected the become password for user ${user}: check ansible_become_password`;
  }
  if (/password is required|a terminal is required/i.test(sudoText)) {
    return `sudo on ${host} needs a password to become ${user}: configure passwordless sudo (NOPASSWD) for the login user, or give ansible_become_password`;
  }
  if (/incorrect password|try again/i.test(sudoText)) {
    return `sudo on ${host} rejected the become password for user ${user}: check ansible_become_password`;
  }
  const detail = sudoText ? `: ${sudoText}` : '';
  return `sudo on ${host} could not start a command as ${user}${detail}`;
}
