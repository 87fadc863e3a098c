import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { combinedShowScript, parseLoadError, parseUnitState, splitCombinedShow, systemdUnit } from '../../src/facts/systemd.ts';

const show = (props: Record<string, string>, isEnabled: string, rc = 0) =>
  `${Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n')}\nCapstan-Show-Rc=${rc}\nCapstan-Is-Enabled=${isEnabled}\n`;

describe('systemd.unit fact', () => {
  it('reads a running, enabled service', () => {
    const out = show({
      Id: 'ssh.service', LoadState: 'loaded', ActiveState: 'active', SubState: 'running', FragmentPath: '/lib/systemd/system/ssh.service',
      UnitFileState: 'enabled', NeedDaemonReload: 'no', LoadError: '',
    }, 'enabled');
    assert.deepEqual(parseUnitState(out, 'sshd'), {
      kind: 'unit', id: 'ssh.service', loadState: 'loaded', loadError: '', activeState: 'active', subState: 'running',
      unitFileState: 'enabled', enabled: 'enabled', fragmentPath: '/lib/systemd/system/ssh.service', needDaemonReload: false,
    });
  });

  it('reads a unit that does not exist, with systemd\'s reason', () => {
    const out = show({
      Id: 'nosuch.service', LoadState: 'not-found', ActiveState: 'inactive', SubState: 'dead', FragmentPath: '', UnitFileState: '',
      NeedDaemonReload: 'no', LoadError: 'org.freedesktop.systemd1.NoSuchUnit "Unit nosuch.service not found."',
    }, '');
    const u = parseUnitState(out, 'nosuch');
    assert.equal(u.kind === 'unit' && u.loadState, 'not-found');
    assert.equal(u.kind === 'unit' && u.loadError, 'Unit nosuch.service not found.');
    assert.equal(u.kind === 'unit' && u.enabled, '');
  });

  it('reads a masked unit whose file changed on disk', () => {
    const out = show({ Id: 'getty.target', LoadState: 'masked', ActiveState: 'inactive', SubState: 'dead', UnitFileState: 'masked', NeedDaemonReload: 'yes' }, 'masked');
    const u = parseUnitState(out, 'getty.target');
    assert.ok(u.kind === 'unit');
    assert.equal(u.loadState, 'masked');
    assert.equal(u.needDaemonReload, true);
  });

  it('properties may come in any order, and values may contain "="', () => {
    const out = 'NeedDaemonReload=no\nLoadError=x "a=b"\nId=a.service\nLoadState=loaded\nCapstan-Show-Rc=0\nCapstan-Is-Enabled=static\n';
    const u = parseUnitState(out, 'a');
    assert.ok(u.kind === 'unit');
    assert.equal(u.loadError, 'a=b');
    assert.equal(u.enabled, 'static');
  });

  it('says when the host has no systemctl', () => {
    assert.deepEqual(parseUnitState('Capstan-Systemd=missing\n', 'x'), { kind: 'no-systemd', reason: 'systemctl is not installed on this host (no systemd)' });
  });

  it('says when systemd does not run (systemctl show fails), quoting systemctl', () => {
    const u = parseUnitState('System has not been booted with systemd as init system (PID 1). Can\'t operate.\nCapstan-Show-Rc=1\nCapstan-Is-Enabled=\n', 'x');
    assert.equal(u.kind, 'no-systemd');
    assert.match(u.kind === 'no-systemd' ? u.reason : '', /not been booted with systemd/);
  });

  it('with no unit, only checks that systemd runs', () => {
    const u = parseUnitState('Version=252.39-1\nCapstan-Show-Rc=0\n', null);
    assert.equal(u.kind, 'unit');
  });

  it('is one POSIX sh command with the unit name quoted', () => {
    const ref = systemdUnit("a'b.service");
    assert.match(ref.script, /-- 'a'\\''b\.service'/);
    assert.equal(spawnSync('sh', ['-n', '-c', ref.script]).status, 0);
    assert.equal(spawnSync('sh', ['-n', '-c', systemdUnit(null).script]).status, 0);
  });

  describe('LoadError', () => {
    const table: [string, string][] = [
      ['', ''],
      ['org.freedesktop.systemd1.NoSuchUnit "Unit x.service not found."', 'Unit x.service not found.'],
      ['org.freedesktop.systemd1.UnitMasked "Unit getty.target is masked."', 'Unit getty.target is masked.'],
    ];
    for (const [raw, want] of table) it(`${JSON.stringify(raw)} -> ${JSON.stringify(want)}`, () => assert.equal(parseLoadError(raw), want));
  });

  describe('several units together', () => {
    it('is one systemctl show for all of them, each name quoted, and valid sh', () => {
      const script = combinedShowScript(['benchapp', 'getty@tty1.service', 'a.b:c']);
      assert.match(script, /systemctl show -p \S+ -- '?benchapp'? '?getty@tty1\.service'? '?a\.b:c'? 2>&1/);
      assert.equal(spawnSync('sh', ['-n', '-c', script]).status, 0);
    });

    it('splits into what each unit\'s own probe prints', () => {
      const out = '@@capstan-unit:0\nId=a.service\nLoadState=loaded\nCapstan-Show-Rc=0\nCapstan-Is-Enabled=enabled\n@@capstan-unit:1\nId=b.service\nLoadState=not-found\nCapstan-Show-Rc=0\nCapstan-Is-Enabled=\n';
      const parts = splitCombinedShow(out, 2);
      assert.deepEqual(parts.map((p) => p.stdout), ['Id=a.service\nLoadState=loaded\nCapstan-Show-Rc=0\nCapstan-Is-Enabled=enabled\n', 'Id=b.service\nLoadState=not-found\nCapstan-Show-Rc=0\nCapstan-Is-Enabled=\n']);
      assert.equal(parseUnitState(parts[1]!.stdout, 'b').kind, 'unit');
    });

    it('a host without systemctl says so for every unit; a unit without an answer is refused', () => {
      assert.deepEqual(splitCombinedShow('Capstan-Systemd=missing\n', 2).map((p) => parseUnitState(p.stdout, 'x').kind), ['no-systemd', 'no-systemd']);
      assert.throws(() => splitCombinedShow('@@capstan-unit:0\nId=a.service\n', 2), /no answer for unit 2 of 2/);
    });

    it('names systemctl would read as patterns or escapes, and the bare systemd check, go alone', () => {
      for (const odd of ['web*', 'a b', 'dev-x\\x2d1.device', '-x', 'a[1]']) assert.equal(systemdUnit(odd).combine, undefined, odd);
      assert.equal(systemdUnit(null).combine, undefined);
      assert.ok(systemdUnit('getty@tty1.service').combine);
    });
  });
});

