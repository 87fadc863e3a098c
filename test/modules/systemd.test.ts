import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planSystemd, systemd, systemdArgs } from '../../src/modules/systemd.ts';
import type { UnitState } from '../../src/facts/systemd.ts';
import type { Plan } from '../../src/define/plan.ts';
import type { Prediction } from '../../src/define/module.ts';
import { HOSTILE } from '../connectors/support/hostile.ts';
import { stepName } from '../../src/define/step.ts';

type Unit = Extract<UnitState, { kind: 'unit' }>;

const unit = (over: Partial<Unit> = {}): Unit => ({
  kind: 'unit', id: 'haproxy.service', loadState: 'loaded', loadError: '', activeState: 'inactive', subState: 'dead',
  unitFileState: 'disabled', enabled: 'disabled', fragmentPath: '/lib/systemd/system/haproxy.service', needDaemonReload: false, ...over,
});
const running = (over: Partial<Unit> = {}) => unit({ activeState: 'active', subState: 'running', unitFileState: 'enabled', enabled: 'enabled', ...over });
const notFound = unit({ id: 'app.service', loadState: 'not-found', loadError: 'Unit app.service not found.', unitFileState: '', enabled: '', fragmentPath: '' });
const masked = unit({ loadState: 'masked', unitFileState: 'masked', enabled: 'masked' });

function plan(args: Record<string, unknown>, u: UnitState): Plan {
  return planSystemd(systemdArgs.parse(args), { unit: u });
}

/** Each change as `summary: script`. */
const commands = (p: Plan) => p.changes.flatMap((c) => c.actions.map((a) => `${c.summary}: ${a.kind === 'exec' ? a.command.script : a.kind}`));

describe('systemd', () => {
  describe('plans from the unit fact', () => {
    const table: [string, Record<string, unknown>, Unit, string[]][] = [
      ['starts and enables a stopped, disabled unit (enable before start)', { name: 'haproxy', state: 'started', enabled: true }, unit(), [
        'enable haproxy.service (was disabled): systemctl enable -- haproxy.service',
        'start haproxy.service (was inactive): systemctl start -- haproxy.service',
      ]],
      ['stops and disables a running unit', { name: 'haproxy', state: 'stopped', enabled: false }, running(), [
        'disable haproxy.service: systemctl disable -- haproxy.service',
        'stop haproxy.service: systemctl stop -- haproxy.service',
      ]],
      ['restarts every time (restarted always acts)', { name: 'haproxy', state: 'restarted' }, running(), [
        'restart haproxy.service (restarted always acts): systemctl restart -- haproxy.service',
      ]],
      ['reloads a running unit every time', { name: 'haproxy', state: 'reloaded' }, running(), [
        'reload haproxy.service (reloaded always acts): systemctl reload -- haproxy.service',
      ]],
      ['"reloaded" starts a unit that is not running', { name: 'haproxy', state: 'reloaded' }, unit({ activeState: 'failed' }), [
        'start haproxy.service (reloaded, but it was failed): systemctl start -- haproxy.service',
      ]],
      ['reloads systemd before starting a unit whose file changed on disk', { name: 'haproxy', state: 'started' }, unit({ needDaemonReload: true }), [
        'daemon-reload (haproxy.service changed on disk): systemctl daemon-reload',
        'start haproxy.service (was inactive): systemctl start -- haproxy.service',
      ]],
      ['daemonReload with a unit only when its files changed', { name: 'haproxy', daemonReload: true }, running({ needDaemonReload: true }), [
        'daemon-reload (haproxy.service changed on disk): systemctl daemon-reload',
      ]],
      ['daemonReload for a unit just written (not loaded yet), then starts it', { name: 'app', daemonReload: true, state: 'started' }, notFound, [
        'daemon-reload (app.service is not loaded yet): systemctl daemon-reload',
        'start app.service (was inactive): systemctl start -- app.service',
      ]],
      ['unmasks, then enables and starts', { name: 'haproxy', masked: false, enabled: true, state: 'started' }, masked, [
        'unmask haproxy.service: systemctl unmask -- haproxy.service',
        'enable haproxy.service (was masked): systemctl enable -- haproxy.service',
        'start haproxy.service (was inactive): systemctl start -- haproxy.service',
      ]],
      ['stops, then masks', { name: 'haproxy', masked: true, state: 'stopped' }, running(), [
        'stop haproxy.service: systemctl stop -- haproxy.service',
        'mask haproxy.service: systemctl mask -- haproxy.service',
      ]],
      ['masks a unit that does not exist', { name: 'app', masked: true }, notFound, ['mask app.service: systemctl mask -- app.service']],
    ];
    for (const [title, args, u, want] of table) it(title, () => assert.deepEqual(commands(plan(args, u)), want));
  });

  describe('says why nothing needs doing', () => {
    const table: [string, Record<string, unknown>, Unit, string][] = [
      ['started and enabled', { name: 'haproxy', state: 'started', enabled: true }, running(), 'haproxy.service is active (running), enabled'],
      ['activating counts as started', { name: 'haproxy', state: 'started' }, running({ activeState: 'activating', subState: 'start' }), 'haproxy.service is activating (start), enabled'],
      ['stopped', { name: 'haproxy', state: 'stopped', enabled: false }, unit(), 'haproxy.service is inactive (dead), disabled'],
      ['a static unit cannot be enabled', { name: 'haproxy', enabled: true }, unit({ enabled: 'static', unitFileState: 'static' }),
        'haproxy.service is inactive (dead), static (a static unit cannot be enabled or disabled; nothing to do)'],
      ['already masked', { name: 'haproxy', masked: true }, masked, 'haproxy.service is inactive (dead), masked'],
      ['daemonReload and nothing changed on disk', { name: 'haproxy', daemonReload: true, state: 'started' }, running(), 'haproxy.service is active (running), enabled'],
    ];
    for (const [title, args, u, want] of table) it(title, () => assert.deepEqual(plan(args, u), { changes: [], noop: want }));
  });

  describe('fails clearly', () => {
    it('on a unit that does not exist', () => {
      assert.equal(plan({ name: 'app', state: 'started' }, notFound).error,
        'unit app.service does not exist (Unit app.service not found.): install the package that provides it or write its unit file first (with daemonReload: true)');
    });

    it('on unmasking a unit that does not exist', () => {
      assert.match(plan({ name: 'app', masked: false, state: 'started' }, notFound).error ?? '', /^unit app\.service does not exist/);
    });

    it('on starting a masked unit', () => {
      assert.match(plan({ name: 'haproxy', state: 'started' }, masked).error ?? '', /is masked: add masked: false/);
    });

    it('on a unit systemd cannot load', () => {
      assert.match(plan({ name: 'haproxy', state: 'started' }, unit({ loadState: 'bad-setting', loadError: 'bad ExecStart' })).error ?? '', /cannot be loaded \(bad-setting\): bad ExecStart/);
    });

    it('on a host without systemd', () => {
      assert.equal(plan({ name: 'haproxy', state: 'started' }, { kind: 'no-systemd', reason: 'systemctl is not installed' }).error, 'systemctl is not installed');
    });
  });

  it('daemonReload alone runs every time', () => {
    assert.deepEqual(commands(plan({ daemonReload: true }, unit())), ['daemon-reload (asked for without a unit: runs every time): systemctl daemon-reload']);
  });

  it('names its steps from the arguments as written', () => {
    assert.equal(stepName(systemd({ name: 'haproxy', state: 'started', enabled: true })), 'systemd haproxy started enabled');
    assert.equal(stepName(systemd({ daemonReload: true })), 'systemd daemon-reload');
  });

  describe('arguments', () => {
    const refused: [string, Record<string, unknown>, string][] = [
      ['nothing to do', {}, 'name'],
      ['state without a unit', { daemonReload: true, state: 'started' }, 'name'],
      ['a masked unit started', { name: 'a', masked: true, state: 'started' }, 'masked'],
      ['a masked unit enabled', { name: 'a', masked: true, enabled: true }, 'masked'],
      ['an unknown state', { name: 'a', state: 'running' }, 'state'],
      ['an unknown key', { name: 'a', daemon_reload: true }, ''],
    ];
    for (const [title, args, path] of refused) {
      it(`refuses ${title}`, () => {
        const r = systemdArgs.safeParse(args);
        assert.equal(r.success, false);
        assert.equal(r.error?.issues[0]?.path.join('.'), path);
      });
    }

    it('rejects hostile unit names with a field error, or takes them as plain words', () => {
      for (const s of HOSTILE) {
        const r = systemdArgs.safeParse({ name: s, state: 'started' });
        if (r.success) assert.match(s, /^[A-Za-z0-9:_.\\@][A-Za-z0-9:_.\\@-]*$/, `accepted ${JSON.stringify(s)}`);
        else assert.equal(r.error.issues[0]?.path[0], 'name', JSON.stringify(s));
      }
    });
  });

  describe('check mode', () => {
    const predicts = (args: Record<string, unknown>, u: UnitState): Prediction[] =>
      (systemd.definition.predicts as unknown as (a: unknown, f: unknown) => Prediction[])(systemdArgs.parse(args), { unit: u });

    it('predicts the unit running and enabled', () => {
      const [p] = predicts({ name: 'haproxy', state: 'started', enabled: true }, unit());
      assert.equal(p?.fact.key, 'systemd.unit("haproxy")');
      assert.deepEqual(p?.value, { ...unit(), activeState: 'active', subState: 'running', enabled: 'enabled', unitFileState: 'enabled' });
    });

    it('cannot predict a unit that is not loaded yet', () => {
      assert.equal(predicts({ name: 'app', daemonReload: true, state: 'started' }, notFound)[0]?.unknown, true);
    });

    it('the planned state is what the plan sees next time: no change', () => {
      const args = { name: 'haproxy', state: 'started', enabled: true, masked: false };
      const after = predicts(args, masked)[0]?.value as UnitState;
      assert.equal(plan(args, after).changes.length, 0);
    });
  });
});
