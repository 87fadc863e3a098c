/** `getUrl` and `unarchive`: one row or more for each documented option. */
import { createHash } from 'node:crypto';
import { getUrl } from '../../../src/modules/get-url.ts';
import { unarchive } from '../../../src/modules/unarchive.ts';
import { Secret } from '../../../src/commands/secret.ts';
import type { FileStat } from '../../../src/facts/file.ts';
import type { ModuleTable } from '../../support/module-table.ts';

const SHA = createHash('sha256').update('body').digest('hex');
const dir: FileStat = { type: 'directory', mode: '0755', owner: 'root', group: 'root', size: 4096 };
const have = (o: Partial<FileStat> = {}): FileStat => ({ type: 'file', mode: '0644', owner: 'root', group: 'root', size: 4, ...o });
const url = 'http://example.test/a';
const fresh = { st: null, sha: null, dir, tools: ['curl'] };

export const getUrlTable: ModuleTable = { module: getUrl, rows: [
  { name: 'url, dest and checksum: a missing dest is downloaded and checked before the rename', args: { url, dest: '/opt/a', checksum: `sha256:${SHA}` }, facts: fresh,
    want: { changes: ['download http://example.test/a -> /opt/a (with curl)'] }, runs: new RegExp(`\\ncurl -fsSL [^\\n]*--max-time 60 [\\s\\S]*${SHA}[\\s\\S]*timeout=75000$`), predicts: { 'file.exists': true, 'file.stat': 'unknown', 'file.sha256': 'unknown' } },
  { name: 'the checksum dest already has: ok', args: { url, dest: '/opt/a', checksum: `sha256:${SHA}` }, facts: { ...fresh, st: have(), sha: SHA }, want: { noop: new RegExp(`already has sha256 ${SHA}`) } },
  { name: 'checksum is required', args: { url, dest: '/opt/a' }, want: { invalid: /checksum is required/ } },
  { name: "checksum 'none' keeps an existing dest; force downloads it again", args: { url, dest: '/opt/a', checksum: 'none', force: true }, facts: { ...fresh, st: have(), sha: 'f'.repeat(64) },
    want: { changes: [/^download/] } },
  { name: "checksum 'none' without force: an existing dest is kept", args: { url, dest: '/opt/a', checksum: 'none' }, facts: { ...fresh, st: have(), sha: 'f'.repeat(64) }, want: { noop: /not downloaded again without force/ } },
  { name: 'mode, owner and group of a file with the right content are corrected', args: { url, dest: '/opt/a', checksum: `sha256:${SHA}`, mode: '0600', owner: 'app', group: 'app' }, facts: { ...fresh, st: have(), sha: SHA },
    want: { changes: [/0644 -> 0600/, /app:app/] } },
  { name: 'headers travel on stdin, a Secret masked; timeoutMs bounds the download', args: { url, dest: '/opt/a', checksum: `sha256:${SHA}`, headers: { Authorization: new Secret('Bearer t') }, timeoutMs: 10_000 }, facts: fresh,
    want: { changes: [/^download/] }, runs: /--max-time 10 [\s\S]*timeout=25000 stdin=/, notRuns: /Bearer t/ },
] };

const remote = { dest: dir, tools: ['tar', 'xz'], archive: have({ size: 10 }), archiveSha: SHA, marker: null };

export const unarchiveTable: ModuleTable = { module: unarchive, rows: [
  { name: 'src (remoteSrc) and dest: extracted in place, the marker written', args: { src: '/srv/app.tar.xz', remoteSrc: true, dest: '/opt/app' }, facts: remote,
    want: { changes: ['extract app.tar.xz into /opt/app'] }, runs: /tar[\s\S]*\/srv\/app\.tar\.xz[\s\S]*\.capstan-unarchive-/ },
  { name: 'the marker records this archive: ok', args: { src: '/srv/app.tar.xz', remoteSrc: true, dest: '/opt/app' }, facts: { ...remote, marker: `${SHA}\n` }, want: { noop: /is already extracted into \/opt\/app/ } },
  { name: 'a controller archive that does not exist fails', args: { src: '/ctl/nowhere/app.tar.gz', dest: '/opt/app' }, facts: { ...remote, tools: ['tar', 'gzip'] }, want: { error: /does not exist on the controller/ } },
  { name: 'creates: a no-op once the path exists', args: { src: '/srv/a.zip', remoteSrc: true, dest: '/opt/app', creates: '/opt/app/bin/app' }, facts: { ...remote, tools: ['unzip'], created: true }, want: { noop: /\/opt\/app\/bin\/app exists/ } },
  { name: 'format overrides the name, stripComponents drops leading directories', args: { src: '/srv/bundle', remoteSrc: true, dest: '/opt/app', format: 'tar.xz', stripComponents: 1 }, facts: remote,
    want: { changes: [/^extract bundle/] }, runs: /--strip-components[= ]'?1'?/ },
  { name: 'stripComponents with zip is refused', args: { src: '/srv/a.zip', remoteSrc: true, dest: '/opt', stripComponents: 1 }, want: { invalid: /stripComponents works with tar archives only/ } },
] };
