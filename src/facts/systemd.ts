/**
 * systemd facts: what systemd knows about one unit, from one `systemctl show` (key=value
 * lines), plus `systemctl is-enabled` of the unit's canonical name when the unit file state
 * alone does not say (SysV scripts, generated units, aliases).
 *
 *   systemdUnit('haproxy')
 *   // → { kind: 'unit', id: 'haproxy.service', loadState: 'loaded', activeState: 'active', subState: 'running',
 *   //     unitFileState: 'enabled', enabled: 'enabled', fragmentPath: '/lib/systemd/system/haproxy.service',
 *   //     needDaemonReload: false, loadError: '' }
 *   systemdUnit(null)   // only whether systemd runs here: { kind: 'unit', id: '', loadState: 'loaded', ... }
 *
 * A host without systemctl, or where systemd is not PID 1, gives `{ kind: 'no-systemd', reason }`.
 * Several units gathered together cost one `systemctl show` for all of them (combinedShowScript).
 */
import { defineFact } from '../define/fact.ts';
import { sh } from '../commands/quote.ts';

export type UnitState =
  | {
      kind: 'unit';
      /** Canonical name (`haproxy` → `haproxy.service`, an alias → its target). */
      id: string;
      /** loaded | not-found | masked | bad-setting | error | merged | stub */
      loadState: string;
      /** Why loading failed (`org.freedesktop.systemd1.NoSuchUnit "Unit x.service not found."`); '' when loaded. */
      loadError: string;
      /** active | reloading | inactive | failed | activating | deactivating | maintenance */
      activeState: string;
      subState: string;
      /** From `systemctl show`: enabled | disabled | static | masked | indirect | generated | alias | ... | '' */
      unitFileState: string;
      /** From `systemctl is-enabled`: the same words, with SysV scripts resolved; '' when unknown. */
      enabled: string;
      fragmentPath: string;
      /** The unit's files changed on disk since systemd loaded them. */
      needDaemonReload: boolean;
    }
  | { kind: 'no-systemd'; reason: string };

const PROPS = 'Id,LoadState,LoadError,ActiveState,SubState,UnitFileState,FragmentPath,NeedDaemonReload';
/** systemd's own test for "booted with systemd" (sd_booted): no program to start. */
const SYSTEMD_RUNNING = `if [ -d /run/systemd/system ]; then echo 'Capstan-Show-Rc=0'; else echo 'systemd is not running (no /run/systemd/system)'; echo 'Capstan-Show-Rc=1'; fi`;

/**
 * After one `systemctl show`: its lines, its status, and the enablement. For the words
 * `UnitFileState` shares with `systemctl is-enabled` that is the same answer; for anything
 * else (SysV scripts, generated or linked units, aliases) `is-enabled` of the canonical name.
 */
const UNIT_STATE = `
rc=$?; printf '%s\\n' "$out"; echo "Capstan-Show-Rc=$rc"
id=; ufs=
while IFS= read -r l; do case $l in Id=*) id=\${l#Id=};; UnitFileState=*) ufs=\${l#UnitFileState=};; esac; done <<CAPSTAN_EOF
$out
CAPSTAN_EOF
case $ufs in
  enabled|enabled-runtime|disabled|static|masked|masked-runtime|indirect) printf 'Capstan-Is-Enabled=%s\\n' "$ufs";;
  *) printf 'Capstan-Is-Enabled=%s\\n' "$(systemctl is-enabled -- "\${id:-x}" 2>/dev/null)";;
esac`;

const NO_SYSTEMCTL = `if ! command -v systemctl >/dev/null 2>&1; then echo 'Capstan-Systemd=missing'; exit 0; fi`;

const showOne = (name: string) => String(sh`out=$(systemctl show -p ${PROPS} -- ${name} 2>&1)`) + UNIT_STATE;

export const systemdUnit = defineFact<string | null, UnitState>({
  name: 'systemd.unit',
  command: (name) => [NO_SYSTEMCTL, name === null ? SYSTEMD_RUNNING : showOne(name)].join('\n'),
  parse: (out, _code, name) => parseUnitState(out, name),
  combine: { accepts: (name) => name !== null && PLAIN_UNIT.test(name), script: (names) => combinedShowScript(names as string[]), split: (out, names) => splitCombinedShow(out, names.length) },
});

/** Unit names that `systemctl show` reads as themselves: no glob, escape or space (those go alone). */
const PLAIN_UNIT = /^[A-Za-z0-9][A-Za-z0-9:_.@-]*$/;
const UNIT_MARK = '@@capstan-unit';

/**
 * One `systemctl show` for several units: its answer is one block of properties per unit, in
 * order, separated by blank lines. Each block is printed as the unit's own probe would have
 * printed it (with `is-enabled` only where the block's UnitFileState does not say). When
 * systemctl fails or the blocks do not match the units one to one, each unit's own probe runs.
 *
 *   combinedShowScript(['benchapp', 'haproxy'])
 */
export function combinedShowScript(names: readonly string[]): string {
  const n = names.length;
  const alone = names.map((name, i) => `echo '${UNIT_MARK}:${i}'\n${showOne(name)}`).join('\n');
  return `${NO_SYSTEMCTL}
all=$(systemctl show -p ${PROPS} -- ${names.map((u) => sh`${u}`).join(' ')} 2>&1); rc=$?
b=1; while IFS= read -r l; do [ -n "$l" ] || b=$((b+1)); done <<CAPSTAN_EOF
$all
CAPSTAN_EOF
if [ "$rc" -eq 0 ] && [ "$b" -eq ${n} ]; then
i=0; id=; ufs=
en() { case $ufs in enabled|enabled-runtime|disabled|static|masked|masked-runtime|indirect) e=$ufs;; *) e=$(systemctl is-enabled -- "\${id:-x}" 2>/dev/null);; esac; printf 'Capstan-Show-Rc=0\nCapstan-Is-Enabled=%s\n' "$e"; }
echo '${UNIT_MARK}:0'
while IFS= read -r l; do case $l in '') en; i=$((i+1)); id=; ufs=; echo "${UNIT_MARK}:$i"; continue;; Id=*) id=\${l#Id=};; UnitFileState=*) ufs=\${l#UnitFileState=};; esac; printf '%s\n' "$l"; done <<CAPSTAN_EOF
$all
CAPSTAN_EOF
en
else
${alone}
fi`;
}

/** The combined answer, as each unit's own probe would have printed it. */
export function splitCombinedShow(out: string, count: number): { stdout: string; exitCode: number }[] {
  if (out.startsWith('Capstan-Systemd=missing')) return Array.from({ length: count }, () => ({ stdout: out, exitCode: 0 }));
  const parts = out.split(new RegExp(`^${UNIT_MARK}:(\\d+)\n`, 'm'));
  const byIndex = new Map<number, string>();
  for (let k = 1; k + 1 < parts.length; k += 2) byIndex.set(Number(parts[k]), parts[k + 1] ?? '');
  return Array.from({ length: count }, (_, i) => {
    const stdout = byIndex.get(i);
    if (stdout === undefined) throw new Error(`no answer for unit ${i + 1} of ${count}`);
    return { stdout, exitCode: 0 };
  });
}

/** Parses the systemd.unit probe: key=value lines; other lines are systemctl's complaints. */
export function parseUnitState(out: string, name: string | null): UnitState {
  const kv = new Map<string, string>();
  const other: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^([A-Za-z-]+)=(.*)$/.exec(line);
    if (m?.[1] !== undefined) kv.set(m[1], m[2] ?? '');
    else if (line.trim()) other.push(line.trim());
  }
  if (kv.get('Capstan-Systemd') === 'missing') return { kind: 'no-systemd', reason: 'systemctl is not installed on this host (no systemd)' };
  const rc = kv.get('Capstan-Show-Rc');
  if (rc !== '0') {
    const why = other.join('; ') || `systemctl show exited ${rc ?? 'without a status'}`;
    return { kind: 'no-systemd', reason: `systemd is not usable here (is it PID 1?): ${why}` };
  }
  const get = (k: string) => kv.get(k) ?? '';
  if (name === null) {
    return { kind: 'unit', id: '', loadState: 'loaded', loadError: '', activeState: 'active', subState: 'running', unitFileState: '', enabled: '', fragmentPath: '', needDaemonReload: false };
  }
  return {
    kind: 'unit',
    id: get('Id') || name,
    loadState: get('LoadState'),
    loadError: parseLoadError(get('LoadError')),
    activeState: get('ActiveState'),
    subState: get('SubState'),
    unitFileState: get('UnitFileState'),
    enabled: get('Capstan-Is-Enabled'),
    fragmentPath: get('FragmentPath'),
    needDaemonReload: get('NeedDaemonReload') === 'yes',
  };
}

/** `org.freedesktop.systemd1.NoSuchUnit "Unit x.service not found."` → `Unit x.service not found.`; an empty error → ''. */
export function parseLoadError(raw: string): string {
  const m = /^\S*\s+"(.*)"$/.exec(raw.trim());
  if (m?.[1] !== undefined) return m[1];
  return raw.trim() === '""' ? '' : raw.trim();
}
