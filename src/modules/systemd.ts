/**
 * `systemd`: a unit started or stopped, enabled or disabled, masked or not; or a daemon-reload.
 *
 *   systemd({ name: 'haproxy', state: 'started', enabled: true })
 *   systemd({ name: 'app.service', state: 'restarted', daemonReload: true }, { name: 'restart app' })
 *   systemd({ name: 'apt-daily.timer', masked: true, state: 'stopped' })
 *   systemd({ daemonReload: true })
 *
 * `restarted` and `reloaded` always act and always report a change, like Ansible: use them in
 * handlers. `reloaded` starts a unit that is not running. `daemonReload` with a unit reloads
 * systemd only when the unit's files changed on disk (or it is not loaded yet); without a unit it
 * runs every time (a change). Before a start, restart or reload of a unit whose files changed on
 * disk, systemd is reloaded anyway, so the action never uses a stale definition.
 *
 * A unit that does not exist fails the step (unless it is being masked). Under --check, a unit
 * an earlier step would install or write is "would change, depends on an earlier change": the
 * engine knows because apt, copy and template declare the `systemd` fact family in `affects`.
 * Order of actions: unmask, daemon-reload, enable/disable, start/stop/restart/reload, mask.
 * `masked: true` does not stop a running unit: add `state: 'stopped'`. Static units (no
 * [Install] section) cannot be enabled or disabled: `enabled` is then a no-op, said so.
 */
import { z } from 'zod';
import { defineModule, predict, predictUnknown, type Prediction } from '../define/module.ts';
import { change, changes, exec, fail, noop, type Change, type Plan } from '../define/plan.ts';
import { sh } from '../commands/quote.ts';
import { systemdUnit, type UnitState } from '../facts/systemd.ts';

/** A systemd unit name: letters, digits, `: _ . \ @ -`, not starting with `-`. */
export const unitName = z
  .string()
  .max(255)
  .regex(/^[A-Za-z0-9:_.\\@][A-Za-z0-9:_.\\@-]*$/, 'must be a systemd unit name (letters, digits, ":_.\\@-", not starting with "-")');

export const systemdArgs = z
  .object({
    name: unitName.optional(),
    state: z.enum(['started', 'stopped', 'restarted', 'reloaded']).optional(),
    enabled: z.boolean().optional(),
    masked: z.boolean().optional(),
    daemonReload: z.boolean().default(false),
  })
  .strict()
  .refine((a) => a.name !== undefined || a.daemonReload, { message: 'give a unit name, or daemonReload: true', path: ['name'] })
  .refine((a) => a.name !== undefined || (a.state === undefined && a.enabled === undefined && a.masked === undefined), {
    message: 'state, enabled and masked need a unit name', path: ['name'],
  })
  .refine((a) => a.masked !== true || (a.enabled !== true && (a.state === undefined || a.state === 'stopped')), {
    message: 'a masked unit cannot be enabled, started, restarted or reloaded', path: ['masked'],
  });

export type SystemdArgs = z.output<typeof systemdArgs>;
type Unit = Extract<UnitState, { kind: 'unit' }>;

const RUNNING = ['active', 'activating', 'reloading'];
const ENABLED = ['enabled', 'linked'];
const UNSWITCHABLE = ['static', 'indirect', 'generated', 'transient', 'alias'];

const isMasked = (u: Unit) => u.loadState === 'masked' || u.enabled.startsWith('masked') || u.unitFileState.startsWith('masked');

export function planSystemd(a: SystemdArgs, { unit }: { unit: UnitState }): Plan {
  if (unit.kind === 'no-systemd') return fail(unit.reason);
  if (a.name === undefined) return changes(change('daemon-reload (asked for without a unit: runs every time)', exec('systemctl daemon-reload')));
  const problem = unitProblem(a, unit);
  if (problem) return fail(problem);
  const id = unit.id;
  const masked = isMasked(unit);
  const acts = a.state === 'started' || a.state === 'restarted' || a.state === 'reloaded';
  const list: (Change | false)[] = [
    a.masked === false && masked && change(`unmask ${id}`, exec(sh`systemctl unmask -- ${id}`)),
    needsReload(a, unit, acts) && change(`daemon-reload (${unit.loadState === 'loaded' ? `${id} changed on disk` : `${id} is not loaded yet`})`, exec('systemctl daemon-reload')),
    enableChange(a, unit),
    stateChange(a, unit),
    a.masked === true && !masked && change(`mask ${id}`, exec(sh`systemctl mask -- ${id}`)),
  ];
  const kept = list.filter((c): c is Change => Boolean(c));
  return kept.length ? changes(...kept) : noop(`${id} is ${unit.activeState} (${unit.subState}), ${unit.enabled || unit.unitFileState || 'no unit file state'}${note(a, unit)}`);
}

function unitProblem(a: SystemdArgs, u: Unit): string | undefined {
  const fixable = a.daemonReload || a.masked === true;
  if (u.loadState === 'not-found' && !fixable) {
    return `unit ${u.id} does not exist (${u.loadError || 'not found'}): install the package that provides it or write its unit file first (with daemonReload: true)`;
  }
  if ((u.loadState === 'bad-setting' || u.loadState === 'error') && !a.daemonReload) return `unit ${u.id} cannot be loaded (${u.loadState}): ${u.loadError}`;
  const wantsRun = a.state !== undefined && a.state !== 'stopped';
  if (isMasked(u) && a.masked !== false && (wantsRun || a.enabled === true)) return `unit ${u.id} is masked: add masked: false to unmask it first`;
  return undefined;
}

function needsReload(a: SystemdArgs, u: Unit, acts: boolean): boolean {
  if (u.needDaemonReload) return a.daemonReload || acts;
  return a.daemonReload && u.loadState === 'not-found' && a.masked !== true;
}

function enableChange(a: SystemdArgs, u: Unit): Change | false {
  if (a.enabled === undefined || a.masked === true) return false;
  const state = u.enabled || u.unitFileState;
  if (UNSWITCHABLE.includes(state)) return false;
  const on = ENABLED.includes(state);
  if (a.enabled && !on) return change(`enable ${u.id}${state ? ` (was ${state})` : ''}`, exec(sh`systemctl enable -- ${u.id}`));
  if (!a.enabled && (on || state === 'enabled-runtime')) return change(`disable ${u.id}`, exec(sh`systemctl disable -- ${u.id}`));
  return false;
}

function stateChange(a: SystemdArgs, u: Unit): Change | false {
  const running = RUNNING.includes(u.activeState);
  switch (a.state) {
    case 'started':
      return !running && change(`start ${u.id} (was ${u.activeState})`, exec(sh`systemctl start -- ${u.id}`));
    case 'stopped':
      return running && change(`stop ${u.id}`, exec(sh`systemctl stop -- ${u.id}`));
    case 'restarted':
      return change(`restart ${u.id} (restarted always acts)`, exec(sh`systemctl restart -- ${u.id}`));
    case 'reloaded':
      return running
        ? change(`reload ${u.id} (reloaded always acts)`, exec(sh`systemctl reload -- ${u.id}`))
        : change(`start ${u.id} (reloaded, but it was ${u.activeState})`, exec(sh`systemctl start -- ${u.id}`));
    default:
      return false;
  }
}

function note(a: SystemdArgs, u: Unit): string {
  const state = u.enabled || u.unitFileState;
  return a.enabled !== undefined && UNSWITCHABLE.includes(state) ? ` (a ${state} unit cannot be enabled or disabled; nothing to do)` : '';
}

function predictSystemd(a: SystemdArgs, { unit }: { unit: UnitState }): Prediction[] {
  const ref = systemdUnit(a.name ?? null);
  if (unit.kind !== 'unit' || a.name === undefined) return [];
  if (unit.loadState === 'not-found' && a.masked !== true) return [predictUnknown(ref)];
  const masked = a.masked ?? isMasked(unit);
  const running = a.state === undefined ? RUNNING.includes(unit.activeState) : a.state !== 'stopped';
  const enabled = masked ? 'masked' : a.enabled === undefined || UNSWITCHABLE.includes(unit.enabled) ? unit.enabled : a.enabled ? 'enabled' : 'disabled';
  return [predict(ref, {
    ...unit,
    loadState: masked ? 'masked' : unit.loadState === 'masked' ? 'loaded' : unit.loadState,
    activeState: running ? 'active' : unit.activeState === 'failed' ? 'failed' : 'inactive',
    subState: running === RUNNING.includes(unit.activeState) ? unit.subState : running ? 'running' : 'dead',
    enabled,
    unitFileState: masked ? 'masked' : enabled || unit.unitFileState,
    needDaemonReload: false,
  })];
}

export const systemd = defineModule({
  name: 'systemd',
  args: systemdArgs,
  describe: (a) => (a.name ? `systemd ${a.name}${a.state ? ` ${a.state}` : ''}${a.enabled !== undefined ? (a.enabled ? ' enabled' : ' disabled') : ''}` : 'systemd daemon-reload'),
  facts: (a) => ({ unit: systemdUnit(a.name ?? null) }),
  plan: (a, f) => planSystemd(a, f),
  predicts: (a, f) => predictSystemd(a, f),
  affects: ['systemd', 'net'],
  // a unit started, stopped or reloaded runs code of its own: everything is read again
  invalidates: (a) => (a.state !== undefined ? ['*'] : { facts: [], paths: (p) => SYSTEMD_DIRS.test(p) }),
});

/** Where enabling, disabling or masking a unit writes links. */
const SYSTEMD_DIRS = /^\/(etc|lib|usr\/lib|run)\/systemd\//;
