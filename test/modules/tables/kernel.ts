/** `kernelModule`: one row or more for each documented option. */
import { kernelModule } from '../../../src/modules/kernel-module.ts';
import type { KernelModuleState } from '../../../src/facts/kernel.ts';
import type { ModuleTable } from '../../support/module-table.ts';

const mod = (o: Partial<KernelModuleState> = {}): { mod: KernelModuleState } => ({ mod: {
  state: 'absent', modprobe: true, release: '6.1.0-21-amd64', modulesDir: true, loadFile: null, optionsFile: null, ...o,
} });

export const kernelModuleTable: ModuleTable = { module: kernelModule, rows: [
  { name: 'name: loaded, then persisted in modules-load.d', args: { name: 'br_netfilter' }, facts: mod(),
    want: { changes: ['load br_netfilter', 'create /etc/modules-load.d/br_netfilter.conf'] }, runs: /^modprobe -- br_netfilter\nput \/etc\/modules-load\.d\/br_netfilter\.conf mode=0644/,
    diff: /^br_netfilter\n$/, predicts: { 'kernel.module': { state: 'loaded', modprobe: true, release: '6.1.0-21-amd64', modulesDir: true, loadFile: 'br_netfilter\n', optionsFile: null } } },
  { name: 'loaded and persisted already: ok, said why', args: { name: 'br_netfilter', state: 'present' }, facts: mod({ state: 'loaded', loadFile: 'br_netfilter\n' }),
    want: { noop: /^br_netfilter is loaded, persisted in \/etc\/modules-load\.d\/br_netfilter\.conf$/ } },
  { name: 'built into the kernel: counts as loaded, only persisted', args: { name: 'overlay' }, facts: mod({ state: 'builtin', modprobe: false, modulesDir: false }),
    want: { changes: ['create /etc/modules-load.d/overlay.conf'] }, notRuns: /modprobe -/, predicts: { 'kernel.module': { state: 'builtin', modprobe: false, release: '6.1.0-21-amd64', modulesDir: false, loadFile: 'overlay\n', optionsFile: null } } },
  { name: 'params: given to modprobe, sorted, and written to modprobe.d', args: { name: 'nf_conntrack', params: { hashsize: 65536, acct: true } }, facts: mod(),
    want: { changes: ['load nf_conntrack acct=Y hashsize=65536', 'create /etc/modules-load.d/nf_conntrack.conf', 'create /etc/modprobe.d/nf_conntrack.conf'] },
    runs: /^modprobe -- nf_conntrack acct=Y hashsize=65536\n/, diff: /^options nf_conntrack acct=Y hashsize=65536\n$/m },
  { name: 'params of a module already loaded: only the file changes, no reload', args: { name: 'nf_conntrack', params: { hashsize: 131072 } },
    facts: mod({ state: 'loaded', loadFile: 'nf_conntrack\n', optionsFile: 'options nf_conntrack hashsize=65536\n' }),
    want: { changes: ['update /etc/modprobe.d/nf_conntrack.conf'] }, notRuns: /modprobe -/, diff: /^options nf_conntrack hashsize=131072\n$/ },
  { name: 'params with a blank are refused', args: { name: 'dummy', params: { x: 'a b' } }, want: { invalid: /params\.x: must be a non-empty value without blanks/ } },
  { name: 'persistent false: only loaded, no file written', args: { name: 'dummy', persistent: false }, facts: mod(), want: { changes: ['load dummy'] }, notRuns: /put /,
    predicts: { 'kernel.module': { state: 'loaded', modprobe: true, release: '6.1.0-21-amd64', modulesDir: true, loadFile: null, optionsFile: null } } },
  { name: 'persistent false leaves files it finds', args: { name: 'dummy', persistent: false }, facts: mod({ state: 'loaded', loadFile: 'dummy\n' }), want: { noop: /^dummy is loaded$/ } },
  { name: 'state absent: unloaded, both files removed', args: { name: 'dummy', state: 'absent' }, facts: mod({ state: 'loaded', loadFile: 'dummy\n', optionsFile: 'options dummy numdummies=2\n' }),
    want: { changes: ['unload dummy', 'remove /etc/modules-load.d/dummy.conf', 'remove /etc/modprobe.d/dummy.conf'] }, runs: /^modprobe -r -- dummy\nrm -f -- \/etc\/modules-load\.d\/dummy\.conf\nrm -f -- \/etc\/modprobe\.d\/dummy\.conf$/,
    predicts: { 'kernel.module': { state: 'absent', modprobe: true, release: '6.1.0-21-amd64', modulesDir: true, loadFile: null, optionsFile: null } } },
  { name: 'state absent with persistent false still removes the files', args: { name: 'dummy', state: 'absent', persistent: false }, facts: mod({ loadFile: 'dummy\n' }),
    want: { changes: ['remove /etc/modules-load.d/dummy.conf'] } },
  { name: 'state absent and nothing there: ok', args: { name: 'dummy', state: 'absent' }, facts: mod(), want: { noop: /^dummy is not loaded and not persisted$/ } },
  { name: 'state absent of a built-in module fails', args: { name: 'overlay', state: 'absent' }, facts: mod({ state: 'builtin' }), want: { error: /^overlay is built into the kernel and cannot be unloaded$/ } },
  { name: 'no /lib/modules (a container): fails, saying so', args: { name: 'dummy' }, facts: mod({ modulesDir: false, release: '6.18.44' }), want: { error: /no \/lib\/modules\/6\.18\.44.*in a container/ } },
  { name: 'no modprobe: fails, naming the package', args: { name: 'dummy' }, facts: mod({ modprobe: false }), want: { error: /modprobe is not installed \(Debian package kmod\)/ } },
  { name: 'name must be a kernel module name', args: { name: '-r' }, want: { invalid: /name: must be a kernel module name/ } },
] };
