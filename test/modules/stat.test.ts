/**
 * Table tests of `stat`: a read-only no-op whose data describes the path, from the shared
 * `file.stat` fact, or from `file.meta` (no hashing) with `checksum: false`.
 *
 *   node --import tsx --test test/modules/stat.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planStat, stat, statArgs, statData } from '../../src/modules/stat.ts';
import type { HashedStat as FileStat } from '../../src/facts/file.ts';

const file: FileStat = { type: 'file', mode: '0640', owner: 'app', group: 'adm', size: 12, sha256: 'c'.repeat(64) };

describe('stat', () => {
  it('a file: no-op with everything in data', () => {
    const a = statArgs.parse({ path: '/etc/app.conf' });
    assert.deepEqual([planStat(a, file).changes, planStat(a, file).noop], [[], '/etc/app.conf is a file']);
    assert.deepEqual(statData(a, file), {
      path: '/etc/app.conf', exists: true, type: 'file', isFile: true, isDir: false, isLink: false,
      mode: '0640', owner: 'app', group: 'adm', size: 12, sha256: 'c'.repeat(64), linkTarget: null,
    });
  });

  it('a missing path: exists false, every attribute null', () => {
    const a = statArgs.parse({ path: '/nope' });
    assert.equal(planStat(a, null).noop, '/nope does not exist');
    const d = statData(a, null);
    assert.equal(d.exists, false);
    assert.deepEqual([d.type, d.mode, d.owner, d.size, d.sha256], [null, null, null, null, null]);
  });

  it('a link and a directory', () => {
    const a = statArgs.parse({ path: '/usr/bin/k' });
    assert.deepEqual(statData(a, { type: 'link', mode: '0777', owner: 'root', group: 'root', size: 9, target: '/opt/k3s' }).linkTarget, '/opt/k3s');
    assert.equal(statData(a, { type: 'directory', mode: '0755', owner: 'root', group: 'root', size: 4096 }).isDir, true);
  });

  it('checksum false reads the fact that does not hash, and reports no sha256', () => {
    const facts = (raw: Record<string, unknown>) => Object.values((stat.definition.facts as unknown as (a: unknown) => Record<string, { key: string }>)(statArgs.parse(raw))).map((r) => r.key);
    assert.deepEqual(facts({ path: '/big.img' }), ['file.stat("/big.img")', 'file.sha256("/big.img")']);
    assert.deepEqual(facts({ path: '/big.img', checksum: false }), ['file.stat("/big.img")']);
    assert.equal(statData(statArgs.parse({ path: '/big.img', checksum: false }), file).sha256, null);
  });

  it('refuses relative paths, NUL and unknown keys', () => {
    for (const raw of [{ path: 'etc' }, { path: '/a\0b' }, { path: '/a', follow: true }]) assert.equal(statArgs.safeParse(raw).success, false);
  });
});
