/**
 * The run lock of a host: one Capstan run at a time. The lock is a file in Capstan's state
 * directory on the host (root: /var/lib/capstan; another user: ~/.local/state/capstan), which
 * is created 0700 in one step and refused when it is not owned by the user or is group- or
 * world-writable. The lock file is created exclusively (0600) and names the run, its user,
 * its start and its temp directory. The run touches it every heartbeat over its own
 * connection, so a run whose connection was lost stops beating, and its lock is taken over
 * once it has been silent for the stale time (its temp directory removed, the takeover
 * reported).
 *
 *   const section = { id: 'lock', script: lockScript('run-1', 30_000), gate: true };
 *   parseLockOutput(out.stdout, out.exitCode)
 *   // { kind: 'acquired', path: '/var/lib/capstan/run.lock', tmpDir: '/tmp/capstan.run.Ab12Cd34' }
 *   // { kind: 'busy', holder: 'run 7f… by root since 2026-…', ageS: 4, path: '…' }
 */
import { quote } from '../commands/quote.ts';
import { READ_EUID, READ_USER_NAME } from '../facts/host.ts';

/**
 * Shell text that sets `$d` to Capstan's state directory on the host (root's, or the login
 * user's own), and `$u` to the user id, without starting a process.
 */
export const SET_STATE_DIR = `${READ_EUID}; if [ "$u" -eq 0 ]; then d=/var/lib/capstan; else d="\${XDG_STATE_HOME:-$HOME/.local/state}/capstan"; fi`;

export const LOCK_FILE = 'run.lock';
/** Exit status of the lock script when another run holds the lock. */
export const LOCK_BUSY = 75;
/** Exit status of the lock script when the state directory is unsafe. */
export const LOCK_UNSAFE = 77;

/** How often a run touches its lock, and after how long without a touch the lock is dead. */
export const DEFAULT_HEARTBEAT_MS = 10_000;
export const STALE_HEARTBEATS = 3;

/**
 * Shell text that makes the state directory safe to use or stops (exit 77, reason on stdout):
 * created 0700 in one mkdir when missing; must be a real directory, owned by the user, not
 * writable by group or others. Leaves its path in `$d`.
 */
export function stateDirScript(): string {
  const bad = `bad() { echo "unsafe $*"; exit ${LOCK_UNSAFE}; }`;
  return [
    bad,
    SET_STATE_DIR,
    `if [ ! -e "$d" ] && [ ! -L "$d" ]; then mkdir -p -- "$(dirname -- "$d")" 2>/dev/null; mkdir -m 0700 -- "$d" 2>/dev/null || [ -d "$d" ] || bad "cannot create the state directory $d"; fi`,
    `[ ! -L "$d" ] || bad "the state directory $d is a symbolic link"`,
    `[ -d "$d" ] || bad "the state directory $d is not a directory"`,
    `set -- $(stat -c '%u %a' -- "$d")`,
    `[ "$1" = "$u" ] || bad "the state directory $d is owned by uid $1, not by $(id -un) (uid $u): remove it, or chown it to $(id -un)"`,
    `case "$2" in *[2367]? | *[2367]) bad "the state directory $d is writable by group or others (mode $2): chmod 0700 $d";; esac`,
  ].join('\n');
}

/**
 * Takes the lock exclusively, or takes over a lock silent for more than `staleMs`, then
 * makes the run's private temp directory and records it in the lock. Prints `lock PATH`,
 * `tmp DIR`, and on a takeover `takeover AGE HOLDER` and `removed DIR`; when busy prints
 * `lock PATH`, `holder LINE` and `age SECONDS` and exits 75. The holder line names the run,
 * the user (read by the shell, as the host facts do) and when the run started (`since`, the
 * controller's clock): taking a free lock starts one program, mktemp.
 */
export function lockScript(runId: string, staleMs: number, since = new Date()): string {
  const info = quote(`run ${runId}`);
  const staleS = Math.max(1, Math.ceil(staleMs / 1000));
  const started = quote(since.toISOString().replace(/\.\d+Z$/, 'Z'));
  return [
    stateDirScript(),
    READ_USER_NAME,
    `L="$d/${LOCK_FILE}"`,
    `echo "lock $L"`,
    `take() { set -C; umask 077; { printf '%s by %s since %s\\n' ${info} "$n" ${started} > "$L"; } 2>/dev/null; r=$?; set +C; return $r; }`,
    `mk() { T=$(umask 077 && mktemp -d /tmp/capstan.run.XXXXXXXX) && printf 'tmp %s\\n' "$T" >> "$L" && echo "tmp $T"; }`,
    `age() { echo $(( $(date +%s) - $(stat -c %Y -- "$1" 2>/dev/null || date +%s) )); }`,
    `if take; then mk; exit; fi`,
    `a=$(age "$L")`,
    `D="$L.dead.$$"`,
    `if [ "$a" -gt ${staleS} ] && mv -f -- "$L" "$D" 2>/dev/null; then`,
    `  if [ "$(age "$D")" -gt ${staleS} ]; then`,
    `    old=$(head -n 1 -- "$D"); ot=$(sed -n 's|^tmp \\(/tmp/capstan\\.run\\.[A-Za-z0-9]*\\)$|\\1|p' -- "$D")`,
    `    rm -f -- "$D"; [ -z "$ot" ] || rm -rf -- "$ot"`,
    `    if take; then echo "takeover $a $old"; [ -z "$ot" ] || echo "removed $ot"; mk; exit; fi`,
    `  else mv -n -- "$D" "$L" 2>/dev/null; rm -f -- "$D"; fi`,
    `fi`,
    `echo "holder $(head -n 1 -- "$L" 2>/dev/null)"; echo "age $(age "$L")"; exit ${LOCK_BUSY}`,
  ].join('\n');
}

/**
 * Shell text: `$h` is 1 when the lock at `path` is still this run's (its first line, the
 * holder line, names the run), read by the shell itself.
 */
function holderIs(path: string, runId: string): string {
  return `l=; { IFS= read -r l < ${quote(path)}; } 2>/dev/null; case $l in ${quote(`run ${runId} `)}*) h=1;; *) h=;; esac`;
}

/** Touches the lock while it is still this run's; exit 3 when another run took it over. */
export function heartbeatScript(path: string, runId: string): string {
  return `${holderIs(path, runId)}; if [ -n "$h" ]; then touch -c -- ${quote(path)}; else exit 3; fi`;
}

/**
 * Removes the run's temp directory and the lock if it is still this run's, with one `rm`.
 *
 *   releaseScript('/var/lib/capstan/run.lock', 'run-1', '/tmp/capstan.run.Ab12Cd34')
 */
export function releaseScript(path: string, runId: string, tmpDir?: string): string {
  const tmp = tmpDir ? ` ${quote(tmpDir)}` : '';
  return `${holderIs(path, runId)}; if [ -n "$h" ]; then rm -rf --${tmp} ${quote(path)};${tmp ? ` else rm -rf --${tmp};` : ''} fi`;
}

export type LockOutcome =
  | { kind: 'acquired'; path: string; tmpDir?: string; takeover?: { ageS: number; holder: string; removed?: string } }
  | { kind: 'busy'; path: string; holder: string; ageS: number }
  | { kind: 'unsafe'; message: string }
  | { kind: 'error'; message: string };

/** Reads what the lock script printed. */
export function parseLockOutput(stdout: string, exitCode: number): LockOutcome {
  const lines = stdout.split('\n');
  const field = (name: string) => lines.find((l) => l.startsWith(`${name} `))?.slice(name.length + 1).trim();
  const path = field('lock') ?? `${LOCK_FILE}`;
  if (exitCode === LOCK_UNSAFE) return { kind: 'unsafe', message: field('unsafe') ?? stdout.trim() };
  if (exitCode === LOCK_BUSY) return { kind: 'busy', path, holder: field('holder') || 'unknown holder', ageS: Number(field('age') ?? 0) };
  if (exitCode !== 0) return { kind: 'error', message: stdout.trim() || `exit ${exitCode}` };
  const out: LockOutcome = { kind: 'acquired', path };
  const tmp = field('tmp');
  if (tmp) out.tmpDir = tmp;
  const t = /^(\d+) (.*)$/.exec(field('takeover') ?? '');
  if (t) {
    const removed = field('removed');
    out.takeover = { ageS: Number(t[1]), holder: t[2] ?? '', ...(removed ? { removed } : {}) };
  }
  return out;
}
