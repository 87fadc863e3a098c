/** `copy`, `stat`, `hostname` and `reboot`: one row or more for each documented option. */
import { createHash } from 'node:crypto';
import { copy } from '../../../src/modules/copy.ts';
import { stat } from '../../../src/modules/stat.ts';
import { hostname } from '../../../src/modules/hostname.ts';
import { reboot } from '../../../src/modules/reboot.ts';
import { Secret } from '../../../src/commands/secret.ts';
import type { FileStat } from '../../../src/facts/file.ts';
import type { HostnameState } from '../../../src/facts/hostname.ts';
import type { ModuleTable } from '../../support/module-table.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const reg = (o: Partial<FileStat> = {}): FileStat => ({ type: 'file', mode: '0644', owner: 'root', group: 'root', size: 3, ...o });
const here = new URL('./small.ts', import.meta.url).pathname;

export const copyTable: ModuleTable = { module: copy, rows: [
  { name: 'dest and content: a missing file is created, mode 0644 by default', args: { dest: '/etc/motd', content: 'hi\n' }, facts: { st: null, sha: null },
    want: { changes: ['create /etc/motd (3 bytes)'] }, runs: /^put \/etc\/motd mode=0644 owner= group= validate= backup=false$/, diff: /^hi\n$/,
    predicts: { 'file.stat': reg(), 'file.sha256': sha('hi\n') } },
  { name: 'equal content (by sha256) is never rewritten', args: { dest: '/etc/motd', content: 'hi\n' }, facts: { st: reg(), sha: sha('hi\n') }, want: { noop: /has the wanted content, mode and owner/ } },
  { name: 'src: a local file is the content', args: { dest: '/opt/x.ts', src: here }, facts: { st: reg(), sha: 'f'.repeat(64) }, want: { changes: [/^update \/opt\/x.ts \(3 -> \d+ bytes\)$/] } },
  { name: 'src that cannot be read fails the step', args: { dest: '/opt/x', src: '/no/such/file' }, facts: { st: null, sha: null }, want: { error: /cannot read \/no\/such\/file/ } },
  { name: 'content and src together are refused', args: { dest: '/opt/x', src: here, content: 'x' }, want: { invalid: /give exactly one of content or src/ } },
  { name: 'mode, owner and group are corrected without rewriting', args: { dest: '/etc/motd', content: 'hi\n', mode: '0600', owner: 'app', group: 'app' }, facts: { st: reg(), sha: sha('hi\n') },
    want: { changes: ['mode 0644 -> 0600', 'owner root:root -> app:app'] }, runs: /^chmod 0600 -- \/etc\/motd\nchown app:app -- \/etc\/motd$/ },
  { name: 'validate and backup travel with the upload', args: { dest: '/etc/h.cfg', content: 'x', validate: 'haproxy -c -f %s', backup: true }, facts: { st: reg(), sha: sha('old') },
    want: { changes: [/^update/] }, runs: /validate=haproxy -c -f %s backup=true$/ },
  { name: 'validate must hold %s', args: { dest: '/etc/h.cfg', content: 'x', validate: 'haproxy -c' }, want: { invalid: /validate must contain %s/ } },
  { name: 'secret: the diff shows the hash only', args: { dest: '/etc/k', content: 'token', secret: true }, facts: { st: null, sha: null }, want: { changes: [/^create/] }, diff: new RegExp(`^${sha('token')}$`) },
  { name: 'a Secret content is secret without asking', args: { dest: '/etc/k', content: new Secret('token') }, facts: { st: null, sha: null }, want: { changes: [/^create/] }, diff: new RegExp(`^${sha('token')}$`) },
] };

export const statTable: ModuleTable = { module: stat, rows: [
  { name: 'path: reads what is there and never changes anything', args: { path: '/etc/motd' }, facts: { st: reg(), sha: sha('x') }, want: { noop: /\/etc\/motd is a file/ },
    data: (d) => { const v = d as { exists: boolean; sha256: string | null }; if (!v.exists || v.sha256 !== sha('x')) throw new Error(JSON.stringify(d)); } },
  { name: 'checksum: false reports no sha256', args: { path: '/big.img', checksum: false }, facts: { st: reg() }, want: { noop: /is a file/ },
    data: (d) => { if ((d as { sha256: unknown }).sha256 !== null) throw new Error(JSON.stringify(d)); } },
] };

const named = (o: Partial<HostnameState> = {}): HostnameState => ({ static: 'old', live: 'old', hostnamectl: true, bindMounted: false, ...o });
export const hostnameTable: ModuleTable = { module: hostname, rows: [
  { name: 'name: set with hostnamectl when it runs', args: { name: 'web1' }, facts: { st: named() }, want: { changes: ['host name old -> web1'] }, runs: /^hostnamectl set-hostname -- web1$/,
    predicts: { 'hostname.state': named({ static: 'web1', live: 'web1' }) } },
  { name: 'name already set is ok', args: { name: 'web1' }, facts: { st: named({ static: 'web1', live: 'web1' }) }, want: { noop: /already called web1/ } },
  { name: 'name must be a host name', args: { name: 'web_1' }, want: { invalid: /host name must be letters/ } },
] };

export const rebootTable: ModuleTable = { module: reboot, rows: [
  { name: 'timeoutMs bounds the wait, and it always reboots', args: { timeoutMs: 60_000 }, want: { changes: ['reboot, then wait up to 60 s for the host to come back'] }, runs: /^reboot command= test= timeout=60000$/ },
  { name: 'testCommand and rebootCommand', args: { testCommand: 'systemctl is-system-running --wait', rebootCommand: 'shutdown -r now' }, want: { changes: [/^reboot/] },
    runs: /^reboot command=shutdown -r now test=systemctl is-system-running --wait timeout=600000$/ },
  { name: 'preRebootDelayMs waits on the host first', args: { preRebootDelayMs: 5000 }, want: { changes: [/^reboot/] }, runs: /^sleep 5.000 timeout=20000\nreboot/ },
] };
