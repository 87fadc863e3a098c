/** `file`: one row or more for each documented option. */
import { file } from '../../../src/modules/file.ts';
import type { FileStat } from '../../../src/facts/file.ts';
import type { ModuleTable } from '../../support/module-table.ts';

const dir = (o: Partial<FileStat> = {}): FileStat => ({ type: 'directory', mode: '0755', owner: 'root', group: 'root', size: 4096, ...o });
const reg = (o: Partial<FileStat> = {}): FileStat => ({ type: 'file', mode: '0644', owner: 'root', group: 'root', size: 3, device: 1, inode: 10, ...o });

export const fileTable: ModuleTable = { module: file, rows: [
  { name: 'path and state directory: a missing directory is created', args: { path: '/opt/a', state: 'directory' }, facts: { st: null },
    want: { changes: ['create directory /opt/a'] }, runs: /^mkdir -p -- \/opt\/a$/, predicts: { 'file.stat': { type: 'directory', mode: '0755', owner: 'root', group: 'root', size: 0 } } },
  { name: 'state defaults to file: an existing file with no attributes asked is ok', args: { path: '/etc/motd' }, facts: { st: reg() }, want: { noop: /nothing to change/ } },
  { name: 'mode: only a differing mode is set', args: { path: '/etc/motd', mode: '0600' }, facts: { st: reg() }, want: { changes: ['mode 0644 -> 0600'] }, runs: /^chmod 0600 \/etc\/motd$/ },
  { name: 'mode: a number is refused (0644 unquoted in YAML is 420)', args: { path: '/etc/motd', mode: 420 }, want: { invalid: /mode must be a string of octal digits/ } },
  { name: 'owner and group: set together when either differs', args: { path: '/srv', state: 'directory', owner: 'app', group: 'web' }, facts: { st: dir() },
    want: { changes: ['owner root:root -> app:web'] }, runs: /^chown app:web \/srv$/ },
  { name: 'group alone', args: { path: '/srv', state: 'directory', group: 'web' }, facts: { st: dir({ group: 'web' }) }, want: { noop: /nothing to change/ } },
  { name: 'recursive: a child that differs under a top that matches changes the tree', args: { path: '/srv', state: 'directory', mode: '0755', recursive: true }, facts: { st: dir(), below: '/srv/x' },
    want: { changes: ['mode -> 0755 below /srv (/srv/x differs)'] }, runs: /^chmod -R 0755 \/srv$/, predicts: { 'file.tree': null } },
  { name: 'recursive: nothing differs anywhere, ok', args: { path: '/srv', state: 'directory', mode: '0755', recursive: true }, facts: { st: dir(), below: null }, want: { noop: /nothing to change/ } },
  { name: 'state link with src: a link elsewhere is replaced', args: { path: '/usr/bin/k', state: 'link', src: '/opt/k' }, facts: { st: { ...reg({ type: 'link' }), target: '/opt/old' } },
    want: { changes: ['link /usr/bin/k -> /opt/k'] }, runs: /^ln -sfn -- \/opt\/k \/usr\/bin\/k$/, predicts: { 'file.stat': { type: 'link', mode: '0777', owner: 'root', group: 'root', size: 6, target: '/opt/k' } } },
  { name: 'state link needs src', args: { path: '/usr/bin/k', state: 'link' }, want: { invalid: /src: state link\/hard needs src/ } },
  { name: 'force: false refuses to replace a file with a link', args: { path: '/etc/x', state: 'link', src: '/opt/x', force: false }, facts: { st: reg() }, want: { error: /give force: true/ } },
  { name: 'force: true replaces a file with a link', args: { path: '/etc/x', state: 'link', src: '/opt/x', force: true }, facts: { st: reg() }, want: { changes: ['link /etc/x -> /opt/x'] } },
  { name: 'state hard: another file at path is replaced by the link', args: { path: '/b', state: 'hard', src: '/a' }, facts: { st: reg({ inode: 11 }), source: reg() },
    want: { changes: ['replace /b (another file) with a hard link to /a'] }, runs: /^ln -f -- \/a \/b$/, predicts: { 'file.stat': reg() } },
  { name: 'state hard: the same device and inode is done', args: { path: '/b', state: 'hard', src: '/a' }, facts: { st: reg(), source: reg() }, want: { noop: /nothing to change/ } },
  { name: 'state absent removes whatever is there', args: { path: '/tmp/x', state: 'absent' }, facts: { st: dir() }, want: { changes: ['remove /tmp/x'] }, runs: /^rm -rf -- \/tmp\/x$/, predicts: { 'file.stat': null } },
  { name: 'state touch always touches, then sets the mode', args: { path: '/tmp/t', state: 'touch', mode: '0600' }, facts: { st: reg({ mode: '0600' }) },
    want: { changes: ['touch /tmp/t', 'mode 0600 -> 0600'] }, runs: /^touch -- \/tmp\/t\nchmod 0600 \/tmp\/t$/ },
  { name: 'path must be absolute', args: { path: 'etc/motd' }, want: { invalid: /path must be absolute/ } },
] };
