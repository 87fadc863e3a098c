/**
 * The reading facts behind `stat` (no hash) and `slurp` (raw bytes), and the marker of
 * `unarchive`: table tests of the parsers, then the real commands on the controller with
 * binary content and hostile file names.
 *
 *   node --import tsx --test test/facts/file-bytes.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileBytes, fileMarker, parseFileBytes, type FileBytes } from '../../src/facts/file-bytes.ts';
import { fileStat, parseFileStat, parseSha256 } from '../../src/facts/file.ts';
import { HOSTILE_FILE_NAMES } from '../connectors/support/hostile.ts';

function run<T>(ref: { script: string; parse(out: string, code: number): T }): T {
  const r = spawnSync('sh', ['-c', ref.script], { encoding: 'utf8' });
  return ref.parse(r.stdout, r.status ?? 1);
}

describe('parseFileBytes', () => {
  const table: { out: string; code?: number; want: FileBytes }[] = [
    { out: 'absent\n', want: { kind: 'absent' } },
    { out: 'not-a-file\n', want: { kind: 'not-a-file' } },
    { out: 'too-large 2048\n', want: { kind: 'too-large', size: 2048 } },
    { out: 'ok\n', want: { kind: 'ok', base64: '' } },
    { out: 'ok\naGVs\nbG8=', want: { kind: 'ok', base64: 'aGVsbG8=' } },
  ];
  for (const row of table) it(JSON.stringify(row.out), () => assert.deepEqual(parseFileBytes(row.out, row.code ?? 0), row.want));
  it('refuses a failed read', () => assert.throws(() => parseFileBytes('ok\n', 1), /cannot read the file/));
});

describe('parseFileStat and parseSha256: the cheap fact and the content fact', () => {
  it('the stat carries type, mode, owner, group, size, device and inode, never a hash', () => {
    assert.deepEqual(parseFileStat('file\n640|root|adm|12|2049|77\n', 0), { type: 'file', mode: '0640', owner: 'root', group: 'adm', size: 12, device: 2049, inode: 77 });
    assert.deepEqual(parseFileStat('link\n777|root|root|4|2049|78\n/etc\n', 0), { type: 'link', mode: '0777', owner: 'root', group: 'root', size: 4, device: 2049, inode: 78, target: '/etc' });
    assert.equal(parseFileStat('absent\n', 0), null);
  });

  it('the hash is hex, or null for what is not a regular file', () => {
    assert.equal(parseSha256(`${'ab'.repeat(32)}\n`, 0), 'ab'.repeat(32));
    assert.equal(parseSha256(`\\${'ab'.repeat(32)}\n`, 0), 'ab'.repeat(32), 'the backslash sha256sum puts before an escaped name is not part of the hash');
    assert.equal(parseSha256('none\n', 0), null);
    assert.throws(() => parseSha256('', 1), /unexpected sha256 output/);
  });
});

describe('the reading commands, on the controller', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-bytes-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads binary content byte for byte, under hostile names', () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0x80, 0x27, 0x22]);
    for (const name of HOSTILE_FILE_NAMES) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const got = run(fileBytes({ path, maxBytes: 1024 }));
      assert.equal(got.kind, 'ok', name);
      assert.deepEqual(Buffer.from(got.kind === 'ok' ? got.base64 : '', 'base64'), bytes, name);
      assert.equal(run(fileStat(path))?.size, bytes.length);
    }
  });

  it('reports a missing path, a directory, and a file over the limit', () => {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'big'), 'x'.repeat(100));
    assert.deepEqual(run(fileBytes({ path: join(dir, 'missing'), maxBytes: 10 })), { kind: 'absent' });
    assert.deepEqual(run(fileBytes({ path: join(dir, 'sub'), maxBytes: 10 })), { kind: 'not-a-file' });
    assert.deepEqual(run(fileBytes({ path: join(dir, 'big'), maxBytes: 99 })), { kind: 'too-large', size: 100 });
    assert.equal(run(fileStat(join(dir, 'missing'))), null);
    assert.equal(run(fileStat(join(dir, 'sub')))?.type, 'directory');
  });

  it('reads a marker, or null', () => {
    writeFileSync(join(dir, 'marker'), 'abc\n');
    assert.equal(run(fileMarker(join(dir, 'marker'))), 'abc\n');
    assert.equal(run(fileMarker(join(dir, 'no-marker'))), null);
  });
});
