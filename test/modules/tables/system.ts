/** `systemd` and `sysctl`: one row or more for each documented option. */
import { systemd } from '../../../src/modules/systemd.ts';
import { sysctl } from '../../../src/modules/sysctl.ts';
import type { UnitState } from '../../../src/facts/systemd.ts';
import type { ModuleTable } from '../../support/module-table.ts';

const unit = (o: Partial<Extract<UnitState, { kind: 'unit' }>> = {}): { unit: UnitState } => ({ unit: {
  kind: 'unit', id: 'app.service', loadState: 'loaded', loadError: '', activeState: 'inactive', subState: 'dead',
  unitFileState: 'disabled', enabled: 'disabled', fragmentPath: '/etc/systemd/system/app.service', needDaemonReload: false, ...o,
} });

export const systemdTable: ModuleTable = { module: systemd, rows: [
  { name: 'name, state started and enabled: enable, then start', args: { name: 'app', state: 'started', enabled: true }, facts: unit(),
    want: { changes: ['enable app.service (was disabled)', 'start app.service (was inactive)'] }, runs: /^systemctl enable -- app\.service\nsystemctl start -- app\.service$/ },
  { name: 'started and enabled already: ok, said why', args: { name: 'app', state: 'started', enabled: true }, facts: unit({ activeState: 'active', subState: 'running', enabled: 'enabled' }),
    want: { noop: /app\.service is active \(running\), enabled/ } },
  { name: 'state stopped and enabled false', args: { name: 'app', state: 'stopped', enabled: false }, facts: unit({ activeState: 'active', enabled: 'enabled' }),
    want: { changes: ['disable app.service', /^stop app\.service/] } },
  { name: 'state restarted always acts', args: { name: 'app', state: 'restarted' }, facts: unit({ activeState: 'active' }), want: { changes: [/^restart app\.service/] }, runs: /systemctl restart -- app\.service/ },
  { name: 'masked: true masks, and does not stop', args: { name: 'apt-daily.timer', masked: true }, facts: unit({ id: 'apt-daily.timer', activeState: 'active' }),
    want: { changes: ['mask apt-daily.timer'] }, runs: /^systemctl mask -- apt-daily\.timer$/ },
  { name: 'masked: false unmasks first', args: { name: 'app', masked: false, state: 'started' }, facts: unit({ loadState: 'masked', unitFileState: 'masked', enabled: 'masked' }),
    want: { changes: ['unmask app.service', /^start/] } },
  { name: 'daemonReload with a unit: only when its files changed on disk', args: { name: 'app', daemonReload: true }, facts: unit({ needDaemonReload: true }),
    want: { changes: ['daemon-reload (app.service changed on disk)'] }, runs: /^systemctl daemon-reload$/ },
  { name: 'daemonReload without a unit runs every time', args: { daemonReload: true }, facts: unit(), want: { changes: [/^daemon-reload \(asked for without a unit/] } },
  { name: 'a masked unit cannot be started', args: { name: 'app', masked: true, state: 'started' }, want: { invalid: /a masked unit cannot be enabled, started/ } },
  { name: 'a unit that does not exist fails', args: { name: 'nope', state: 'started' }, facts: unit({ id: 'nope.service', loadState: 'not-found' }), want: { error: /unit nope\.service does not exist/ } },
] };

const F = '/etc/sysctl.d/99-capstan.conf';
const sysfile = (content: string | null) => ({ dirExists: true, content });

export const sysctlTable: ModuleTable = { module: sysctl, rows: [
  { name: 'name and value: set live first, then persisted', args: { name: 'net.core.somaxconn', value: 1024 }, facts: { live: '4096', file: sysfile(null) },
    want: { changes: ['set net.core.somaxconn 4096 -> 1024 (live)', `set net.core.somaxconn in ${F}`] }, runs: /^sysctl -q -w -- net\.core\.somaxconn=1024\nput \/etc\/sysctl\.d\/99-capstan\.conf mode=0644/,
    diff: /^net\.core\.somaxconn=1024\n$/ },
  { name: 'blanks are normalised: the same value is ok', args: { name: 'net.ipv4.ip_local_port_range', value: '32768 60999' }, facts: { live: '32768\t60999', file: sysfile('net.ipv4.ip_local_port_range=32768 60999\n') }, want: { noop: /./ } },
  { name: 'sysctlFile: another file', args: { name: 'vm.swappiness', value: '10', sysctlFile: '/etc/sysctl.d/60-web.conf' }, facts: { live: '10', file: sysfile(null) },
    want: { changes: ['set vm.swappiness in /etc/sysctl.d/60-web.conf'] } },
  { name: 'sysctlFile must end in .conf', args: { name: 'vm.swappiness', value: '10', sysctlFile: '/etc/sysctl.d/60-web' }, want: { invalid: /ending in \.conf/ } },
  { name: 'reload: false only persists', args: { name: 'vm.swappiness', value: '10', reload: false }, facts: { live: '60', file: sysfile(null) }, want: { changes: [`set vm.swappiness in ${F}`] }, notRuns: /sysctl -q -w/ },
  { name: 'state absent drops the line and leaves the live value', args: { name: 'vm.swappiness', state: 'absent' }, facts: { live: '10', file: sysfile('# keep\nvm.swappiness=10\n') },
    want: { changes: [/vm\.swappiness/] }, diff: /^# keep\n$/, notRuns: /sysctl -q -w/ },
] };
