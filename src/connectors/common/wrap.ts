/**
 * Shell words that wrap a script before it runs on a POSIX host: the time limit, privilege
 * escalation with sudo, and the readiness gate that tells a password prompt from a started
 * command. Shared by the SSH and local connectors; every value is quoted with `quote`.
 *
 *   runWords('uname -s', { timeoutMs: 5000, killAfterMs: 2000 })
 *   // "timeout -k 2 5 sh -c 'uname -s'"
 *   gatedCommand('rdy1', runWords('id -u'), sudoWords({ user: 'root' }, 'prompt1'))
 *   // sudo -n -H -u root -- sh -c '<print pid and rdy1 on stderr; exec "$@">' sh sh -c 'id -u'
 */
import { randomBytes } from 'node:crypto';
import { quote } from '../../commands/quote.ts';
import { ConfigError } from '../../errors.ts';
import type { Become } from '../connector.ts';

/** Scripts longer than this do not travel as an argument (the kernel caps one at 128 KiB). */
export const MAX_ARGUMENT_SCRIPT = 96 * 1024;

export interface RunLimits {
  /** Kill the command's process group after this long. */
  timeoutMs?: number | undefined;
  /** Grace between SIGTERM and SIGKILL once the time is up. */
  killAfterMs: number;
}

/** A random token of hex digits, safe in shell words and sudo prompts. */
export function token(prefix: string, bytes = 12): string {
  return `${prefix}${randomBytes(bytes).toString('hex')}`;
}

/** Formats milliseconds as the seconds argument of `timeout` ("0.25", "5"). */
export function seconds(ms: number): string {
  return String(Math.max(1, Math.round(ms)) / 1000);
}

/**
 * Words that run `script` in its own `sh` process, under `timeout` when a limit is set.
 * `timeout` puts itself in a new process group and signals the whole group, so children
 * die with the command. With `scriptFd`, the script is read from that descriptor instead
 * of being passed as an argument (for scripts too long for argv).
 */
export function runWords(script: string, limits: RunLimits, scriptFd?: number): string {
  const sh = scriptFd === undefined ? `sh -c ${quote(script)}` : `sh /dev/fd/${scriptFd}`;
  if (limits.timeoutMs === undefined || limits.timeoutMs <= 0) return sh;
  return `timeout -k ${seconds(limits.killAfterMs)} ${seconds(limits.timeoutMs)} ${sh}`;
}

/** Exit status of `timeout` when it stopped the command: 124 (TERM worked) or 137 (KILL). */
export function isTimeoutStatus(status: number): boolean {
  return status === 124 || status === 137;
}

/** Rejects user names sudo would read as options, and NUL. */
export function checkBecomeUser(user: string): string {
  if (user === '' || user.startsWith('-') || user.includes('\0') || /[\s]/.test(user)) {
    throw new ConfigError(`invalid become user ${JSON.stringify(user)}: must be a user name, not starting with "-"`, {
      keyPath: 'become_user',
    });
  }
  return user;
}

/**
 * The sudo words for `become`: `sudo -n` when there is no password (never waits for one),
 * otherwise `sudo -S` with a random prompt so the password is sent on stdin only when asked.
 */
export function sudoWords(become: Become, prompt: string): string {
  const user = quote(checkBecomeUser(become.user ?? 'root'));
  if (become.password) return `sudo -S -p ${quote(prompt)} -H -u ${user} --`;
  return `sudo -n -H -u ${user} --`;
}

/**
 * A command that first prints its process id and `ready` on stderr and then replaces itself
 * with `words`, run behind `prefix` (sudo) when given. Until `ready` shows up, whatever arrives on stderr is
 * sudo talking (prompt, refusal); after it, it is the command's own output.
 */
export function gatedCommand(ready: string, words: string, prefix = ''): string {
  const gate = `sh -c ${quote(`printf ' pid=%d %s' $$ ${ready} >&2; exec "$@"`)} sh ${words}`;
  return prefix ? `${prefix} ${gate}` : gate;
}
