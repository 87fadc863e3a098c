/**
 * Which fact families a write to a path can change, so that under --check later steps that
 * read them say "depends on an earlier change" instead of planning against the old state:
 * a unit file written by `copy` before `systemd` starts it, a sysctl.d file, an apt source.
 *
 *   affects: (a) => familiesWrittenBy(a.dest)   // '/etc/systemd/system/app.service' → ['systemd']
 */
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
