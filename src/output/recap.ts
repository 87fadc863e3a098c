/**
 * The PLAY RECAP table, from the recap object.
 *
 *   renderRecap(recap, colors)   // 'web1   : ok=5  changed=2  unreachable=0  failed=0  skipped=1  ignored=0'
 *
 * A check recap adds `cannot-predict=N` (magenta): steps that would run but whose outcome is
 * only known after apply, kept apart from `changed` (what check is sure would change).
 */
import type { HostTally, Recap } from '../events.ts';
import { ExitCode } from '../events.ts';
import type { Palette } from './palette.ts';

export function renderRecap(recap: Recap, c: Palette): string {
  const names = Object.keys(recap.hosts);
  const width = Math.max(4, ...names.map((n) => n.length));
  const lines = [c.bold(`PLAY RECAP ${recap.check ? '(check mode: nothing was changed) ' : ''}`.padEnd(72, '*'))];
  for (const name of names) {
    const t = recap.hosts[name] as HostTally;
    const color = t.unreachable ? c.red : t.failed ? c.red : t.changed ? c.yellow : c.green;
    const cell = (label: string, n: number, col: (s: string) => string) => {
      const text = `${label}=${n}`.padEnd(label.length + 6);
      return n ? col(text) : text;
    };
    const uncertain = recap.check ? cell('cannot-predict', t.uncertain, c.magenta) : '';
    lines.push(`${color(name.padEnd(width))} : ${cell('ok', t.ok, c.green)}${cell('changed', t.changed, c.yellow)}${uncertain}${cell('unreachable', t.unreachable, c.red)}${cell('failed', t.failed, c.red)}${cell('skipped', t.skipped, c.cyan)}${cell('ignored', t.ignored, c.dim)}`);
  }
  for (const [name, l] of Object.entries(recap.locked ?? {})) {
    lines.push(`${c.yellow(name.padEnd(width))} : LOCKED by another run (${l.holder}); stale in ${l.staleInS} s if its heartbeat stays silent`);
  }
  lines.push('', `${outcome(recap, c)}  (${(recap.durationMs / 1000).toFixed(1)} s, exit ${recap.exitCode})`);
  return lines.join('\n');
}

function outcome(recap: Recap, c: Palette): string {
  switch (recap.exitCode) {
    case ExitCode.ok:
      if (!recap.check) return c.green('Run finished: all hosts OK.');
      return checkOutcome(Object.values(recap.hosts), c);
    case ExitCode.failed:
      return c.red('Some hosts FAILED: read the messages above, fix the cause, and run again (converged hosts report no changes).');
    case ExitCode.locked:
      return c.yellow('Some hosts were LOCKED by another run and left alone: run again when it has finished (or with --lock-wait SECONDS).');
    case ExitCode.unreachable:
      return c.red('Some hosts were UNREACHABLE: check that they are up and that SSH works (capstan facts HOST), then run again.');
    case ExitCode.failedAndUnreachable:
      return c.red('Some hosts FAILED and some were UNREACHABLE: see above, fix, and run again.');
    case ExitCode.interrupted:
      return c.yellow('Interrupted: steps in flight finished, locks were released. Run again to continue.');
    default:
      return `exit ${recap.exitCode}`;
  }
}

function checkOutcome(tallies: HostTally[], c: Palette): string {
  const changed = tallies.some((t) => t.changed > 0);
  const uncertain = tallies.reduce((n, t) => n + t.uncertain, 0);
  const unknown = uncertain ? ` ${uncertain} host-step${uncertain === 1 ? '' : 's'} cannot be predicted before apply (cannot-predict).` : '';
  if (!changed && !uncertain) return c.green('Check finished: every host is already in the wanted state.');
  return c.green(`Check finished: a real run would make the changes above (nothing was changed).${unknown}`);
}
