/**
 * Processes on this machine: those whose command line matches a pattern, through `pgrep -af`
 * ('' when none does; a missing pgrep throws, it never reads as "nothing is running"), and
 * whether one pid still runs (a zombie, killed but not yet reaped, does not).
 *
 *   await waitFor('the sleeps to be killed', () => running('sleep 4133[78]') === '');
 *   await waitFor('the shell to be killed', () => !alive(pid));
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function alive(pid: number | string): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // pid (comm) state ...: the command name may hold spaces and parentheses, the state follows the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

export function running(pattern: string): string {
  const r = spawnSync('pgrep', ['-af', pattern], { encoding: 'utf8' });
  if (r.error) throw new Error(`pgrep could not run (apt-get install -y procps): ${r.error.message}`);
  if (r.status === 1) return '';
  if (r.status !== 0) throw new Error(`pgrep -af ${pattern} failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}
