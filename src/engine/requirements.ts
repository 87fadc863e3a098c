/**
 * What a target host needs besides a POSIX `sh`: the programs the engine, the facts and the
 * file transfer start on every host (GNU coreutils, or BusyBox with the same applets). They
 * are checked with `command -v` in the first batch a run sends to the host, so a missing one
 * fails that host at once, by name, at no extra round trip.
 *
 *   const section = requirementsSection();            // one more section in the opening batch
 *   missingPrograms(out.get(section.id)?.stdout)      // → ['sha256sum'] | []
 *   requirementsMessage('web1', ['sha256sum'])        // "web1 lacks sha256sum (…): install …"
 */
import type { BatchSection } from './batch.ts';

/** Each program, and what Capstan uses it for (the options named are the ones it relies on). */
export const TARGET_PROGRAMS: readonly { name: string; use: string }[] = [
  { name: 'stat', use: 'file facts: stat -c' },
  { name: 'sha256sum', use: 'content hashes and upload checks' },
  { name: 'base64', use: "a command's stdin and file content on the wire: base64, base64 -d" },
  { name: 'timeout', use: 'time limits of commands: timeout -k' },
  { name: 'mktemp', use: "the run's private temp directory: mktemp -d" },
  { name: 'find', use: 'recursive owner and mode checks: find -user -group -perm -quit' },
  { name: 'readlink', use: 'link targets: readlink, readlink -f' },
  { name: 'cat', use: 'uploads' },
  { name: 'chmod', use: 'modes' },
  { name: 'chown', use: 'owners and groups' },
  { name: 'mv', use: 'atomic renames of written files' },
  { name: 'rm', use: 'removals and cleanup' },
  { name: 'mkdir', use: 'directories' },
  { name: 'ln', use: 'links and backups' },
  { name: 'touch', use: 'the run lock heartbeat' },
  { name: 'date', use: 'the run lock' },
  { name: 'id', use: 'the run lock' },
  { name: 'grep', use: 'the run lock and probes' },
  { name: 'head', use: 'marker files' },
  { name: 'tr', use: 'file content' },
  { name: 'dirname', use: 'parent directories' },
];

const ID = 'requirements';
const MARK = 'missing:';

/** The batch section that lists the programs the host lacks, one `missing:NAME` line each. */
export function requirementsSection(): BatchSection {
  const names = TARGET_PROGRAMS.map((p) => p.name).join(' ');
  return { id: ID, script: `for c in ${names}; do command -v "$c" >/dev/null 2>&1 || echo "${MARK}$c"; done; :` };
}

/** The programs the section reported missing, in TARGET_PROGRAMS order. */
export function missingPrograms(stdout: string | undefined): string[] {
  const lines = new Set((stdout ?? '').split('\n').filter((l) => l.startsWith(MARK)).map((l) => l.slice(MARK.length)));
  return TARGET_PROGRAMS.map((p) => p.name).filter((n) => lines.has(n));
}

/** The failure of a host that lacks programs: which, what for, and what to install. */
export function requirementsMessage(host: string, missing: readonly string[]): string {
  const uses = missing.map((n) => `${n} (${TARGET_PROGRAMS.find((p) => p.name === n)?.use ?? 'required'})`);
  return `${host} lacks ${uses.join(', ')}. Capstan needs a POSIX sh plus these programs on every target: ` +
    `install GNU coreutils, findutils and grep (Debian, Ubuntu: apt-get install coreutils findutils grep; ` +
    `Alpine: apk add coreutils findutils grep, or a BusyBox that has these applets).`;
}
