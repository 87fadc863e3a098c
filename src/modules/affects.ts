/**
 * Which fact families a write to a path can change, so that under --check later steps that
 * read them say "depends on an earlier change" instead of planning against the old state:
 * a unit file written by `copy` before `systemd` starts it, a sysctl.d file, an apt source.
 *
 *   affects: (a) => familiesWrittenBy(a.dest)   // '/etc/systemd/system/app.service' → ['systemd']
 *   invalidates: (a) => writesPaths(a.dest)      // and, after apply, every fact about it and its directories
 */
import type { Effects } from '../define/module.ts';
import { normalise } from './package-effects.ts';

const AREAS: [RegExp, readonly string[]][] = [
  [/^\/(etc|lib|usr\/lib|run)\/systemd\//, ['systemd']],
  [/^\/(etc|usr\/lib|lib|run)\/sysctl\.d\/|^\/etc\/sysctl\.conf$/, ['sysctl']],
  [/^\/(etc|usr\/lib|lib)\/(modules-load\.d|modprobe\.d)\/|^\/etc\/modules$/, ['kernel']],
  [/^\/etc\/apt\//, ['apt']],
  [/^\/etc\/(passwd|group|shadow|gshadow)$/, ['user', 'group']],
];

export function familiesWrittenBy(path: string): readonly string[] {
  return AREAS.filter(([re]) => re.test(path)).flatMap(([, families]) => families);
}

/**
 * What a write to these paths reaches, for the facts apply reads again: facts about each path,
 * the directories above it and anything below it, the families `familiesWrittenBy` names, the
 * programs found on PATH when it lies in a `bin` or `sbin` directory, and the host name when it
 * is /etc/hostname or /etc/hosts. Paths are compared as written (normalised, not resolved): a
 * fact read through a symbolic link that points into them is not recognised.
 *
 *   invalidates: (a) => writesPaths(a.dest)
 */
export function writesPaths(...paths: string[]): Effects {
  const facts = new Set(paths.flatMap((p) => [
    ...familiesWrittenBy(p),
    ...(/\/s?bin\/[^/]+$/.test(p) ? ['tools'] : []),
    ...(/^\/etc\/(hostname|hosts)$/.test(p) ? ['hostname'] : []),
  ]));
  return { facts: [...facts], paths: (q) => paths.some((p) => related(normalise(p), normalise(q))) };
}

/** `/etc` and `/etc/app/x` are related (one lies above the other), and so is a path to itself. */
function related(a: string, b: string): boolean {
  const below = (x: string, y: string) => x === y || y === '/' || x.startsWith(`${y}/`);
  return below(a, b) || below(b, a);
}
