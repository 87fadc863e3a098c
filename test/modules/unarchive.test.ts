/**
 * `unarchive`: table tests (facts in, upload/extract/marker actions or the no-op reason
 * out), argument checks, and the extraction command run for real on the controller for
 * every format whose tools it has, into a directory with a hostile name.
 *
 *   node --import tsx --test test/modules/unarchive.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { extractScript, formatOf, markerPath, planUnarchive, unarchiveArgs, type ArchiveFormat, type UnarchiveFacts } from '../../src/modules/unarchive.ts';
import type { HashedStat as FileStat } from '../../src/facts/file.ts';
import type { Plan } from '../../src/define/plan.ts';
import { requires, TOOLS, type Tool } from '../support/tools.ts';

const SHA = 'ab'.repeat(32);
const dir: FileStat = { type: 'directory', mode: '0755', owner: 'root', group: 'root', size: 4096 };
const archive: FileStat = { type: 'file', mode: '0644', owner: 'root', group: 'root', size: 10 };
const localHash = (p: string) => (p === '/ctl/app.tar.gz' ? SHA : null);

function plan(raw: Record<string, unknown>, f: Partial<UnarchiveFacts> = {}): Plan {
  return planUnarchive(unarchiveArgs.parse({ src: '/ctl/app.tar.gz', dest: '/opt/app', ...raw }), { dest: dir, tools: ['tar', 'gzip'], marker: null, ...f }, localHash);
}

function actions(p: Plan): string[] {
  return p.changes.flatMap((c) => c.actions.map((a) => (a.kind === 'exec' ? a.command.script : a.kind === 'put' ? `put ${a.file.dest} ${a.file.mode}` : a.kind)));
}

describe('unarchive: planning', () => {
  const marker = markerPath({ src: '/ctl/app.tar.gz', dest: '/opt/app' });

  it('a controller archive is uploaded into dest, extracted, removed, and the marker written', () => {
    assert.deepEqual(actions(plan({})), [
      `put ${marker}.upload 0600`,
      `rc=0; tar -x -z -f ${marker}.upload -C /opt/app || rc=$?; rm -f -- ${marker}.upload; exit $rc`,
      `put ${marker} 0644`,
    ]);
  });

  it('the same archive as the marker records is a no-op', () => {
    const p = plan({}, { marker: `${SHA}\n` });
    assert.deepEqual(p.changes, []);
    assert.equal(p.noop, `app.tar.gz (sha256 ${SHA.slice(0, 12)}…) is already extracted into /opt/app`);
  });

  it('an archive on the host is extracted in place, its sha256 from the host', () => {
    const p = plan({ src: '/srv/app.tar.xz', remoteSrc: true, stripComponents: 1 }, { archive, archiveSha: SHA, tools: ['tar', 'xz'] });
    const m = markerPath({ src: '/srv/app.tar.xz', dest: '/opt/app' });
    assert.deepEqual(actions(p), ['tar -x -J --strip-components=1 -f /srv/app.tar.xz -C /opt/app', `put ${m} 0644`]);
    assert.equal(plan({ src: '/srv/app.tar.xz', remoteSrc: true }, { archive, archiveSha: SHA, tools: ['tar', 'xz'], marker: `${SHA}\n` }).changes.length, 0);
  });

  it('with creates: a no-op while it exists, and no marker', () => {
    assert.equal(plan({ creates: '/opt/app/bin/app' }, { created: true, marker: undefined }).noop, '/opt/app/bin/app exists');
    assert.deepEqual(actions(plan({ src: '/srv/a.zip', remoteSrc: true, creates: '/opt/app/bin/app' }, { created: false, archive, archiveSha: SHA, tools: ['unzip'] })), ['unzip -o -q /srv/a.zip -d /opt/app']);
  });

  it('fails clearly: no dest directory, no archive, no tools', () => {
    assert.match(plan({}, { dest: null }).error ?? '', /\/opt\/app does not exist: unarchive needs an existing directory/);
    assert.match(plan({}, { dest: archive }).error ?? '', /\/opt\/app is a file/);
    assert.match(plan({ src: '/ctl/missing.tar' }).error ?? '', /does not exist on the controller/);
    assert.match(plan({ src: '/srv/a.tar', remoteSrc: true }, { archive: null }).error ?? '', /\/srv\/a.tar does not exist on the host/);
    assert.match(plan({}, { tools: ['tar'] }).error ?? '', /cannot extract a tar.gz archive: gzip is not installed/);
    assert.match(plan({ format: 'tar.zst' }, { tools: [] }).error ?? '', /tar and zstd are not installed/);
  });
});

describe('unarchive: arguments', () => {
  it('tells the format from the name, or asks for it', () => {
    const table: [string, ArchiveFormat | undefined][] = [['a.tar', 'tar'], ['a.TGZ', 'tar.gz'], ['a.tar.gz', 'tar.gz'], ['a.txz', 'tar.xz'], ['a.tar.bz2', 'tar.bz2'], ['a.tar.zst', 'tar.zst'], ['a.zip', 'zip'], ['a.rar', undefined], ['tar', undefined]];
    for (const [name, want] of table) assert.equal(formatOf(name), want, name);
    const r = unarchiveArgs.safeParse({ src: '/x/a.rar', dest: '/opt' });
    assert.equal(r.error?.issues[0]?.path[0], 'format');
    assert.equal(unarchiveArgs.safeParse({ src: '/x/a.rar', dest: '/opt', format: 'zip' }).success, true);
  });

  it('refuses relative remote paths, zip patterns, strip with zip, NUL', () => {
    const field = (raw: Record<string, unknown>) => unarchiveArgs.safeParse({ dest: '/opt', ...raw }).error?.issues[0]?.path[0];
    assert.equal(field({ src: 'rel/a.tar', remoteSrc: true }), 'src');
    assert.equal(field({ src: '/x/*.zip', remoteSrc: true }), 'src');
    assert.equal(field({ src: '/x/a.zip', stripComponents: 1 }), 'stripComponents');
    assert.equal(field({ src: '/x/a\0.tar' }), 'src');
    assert.equal(field({ src: '/x/a.tar', dest: 'opt' }), 'dest');
  });
});

describe('unarchive: extraction, run for real', () => {
  let work: string;
  let dest: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'capstan-unarchive-'));
    mkdirSync(join(work, 'tree/top/sub'), { recursive: true });
    writeFileSync(join(work, 'tree/top/it\'s $(touch PWNED) é.txt'), 'hello\n');
    writeFileSync(join(work, 'tree/top/sub/b.bin'), Buffer.from([0, 1, 2, 255]));
    dest = join(work, "dest it's; $HOME");
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const { tar, gzip, xz, bzip2, zstd, zip, unzip } = TOOLS;
  const make: Record<ArchiveFormat, { tools: Tool[]; argv: (out: string) => string[] }> = {
    'tar': { tools: [tar], argv: (o) => ['tar', '-cf', o, '-C', 'tree', 'top'] },
    'tar.gz': { tools: [tar, gzip], argv: (o) => ['tar', '-czf', o, '-C', 'tree', 'top'] },
    'tar.xz': { tools: [tar, xz], argv: (o) => ['tar', '-cJf', o, '-C', 'tree', 'top'] },
    'tar.bz2': { tools: [tar, bzip2], argv: (o) => ['tar', '-cjf', o, '-C', 'tree', 'top'] },
    'tar.zst': { tools: [tar, zstd], argv: (o) => ['tar', '--zstd', '-cf', o, '-C', 'tree', 'top'] },
    'zip': { tools: [zip, unzip], argv: (o) => ['sh', '-c', `cd tree && zip -qr "$0" top`, o] },
  };

  for (const [format, how] of Object.entries(make) as [ArchiveFormat, (typeof make)[ArchiveFormat]][]) {
    it(`${format}: extracts every file byte for byte; an uploaded copy is removed`, { skip: requires(...how.tools) }, () => {
      rmSync(dest, { recursive: true, force: true });
      mkdirSync(dest);
      const upload = join(dest, '.upload');
      const [cmd, ...args] = how.argv(upload);
      const made = spawnSync(cmd!, args, { cwd: work, encoding: 'utf8' });
      assert.equal(made.status, 0, made.stderr);
      const strip = format === 'zip' ? {} : { stripComponents: 1 };
      const r = spawnSync('sh', ['-c', extractScript({ dest, ...strip }, format, upload, true)], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const root = format === 'zip' ? join(dest, 'top') : dest;
      assert.equal(readFileSync(join(root, 'it\'s $(touch PWNED) é.txt'), 'utf8'), 'hello\n');
      assert.equal(createHash('sha256').update(readFileSync(join(root, 'sub/b.bin'))).digest('hex'), createHash('sha256').update(Buffer.from([0, 1, 2, 255])).digest('hex'));
      assert.equal(existsSync(upload), false);
      assert.equal(existsSync(join(work, 'PWNED')) || existsSync('/tmp/PWNED'), false);
    });
  }

  it('a failed extraction still removes the upload and reports the failure', () => {
    mkdirSync(dest, { recursive: true });
    const upload = join(dest, '.broken');
    writeFileSync(upload, 'not an archive');
    const r = spawnSync('sh', ['-c', extractScript({ dest }, 'tar.gz', upload, true)], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.equal(existsSync(upload), false);
  });
});
