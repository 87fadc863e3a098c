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

export const systemdUnit = defineFact<string | null, UnitState>({
  name: 'systemd.unit',
  command: (name) => [
    NO_SYSTEMCTL,
    name === null
      ? SYSTEMD_RUNNING
      : String(sh`out=$(systemctl show -p ${PROPS} -- ${name} 2>&1)`) + UNIT_STATE,
  ].join('\n'),
  parse: (out, _code, name) => parseUnitState(out, name),
});

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
