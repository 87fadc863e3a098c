/**
 * Table tests of `fetch`: the remote file's stat (with sha256) and the local copy's sha256
 * in, a fetch action or the no-op reason out; where the copy goes (flat or per host); names
 * that would escape dest are refused.
 *
 *   node --import tsx --test test/modules/fetch.test.ts
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fetchArgs, localPath, planFetch, sha256OfLocalFile } from '../../src/modules/fetch.ts';
import type { HashedStat as FileStat } from '../../src/facts/file.ts';
import type { HostnameState } from '../../src/facts/hostname.ts';

const SHA = 'd'.repeat(64);
const remote: FileStat = { type: 'file', mode: '0600', owner: 'root', group: 'root', size: 42, sha256: SHA };
const named = (live: string): HostnameState => ({ static: live, live, hostnamectl: true, bindMounted: false });
const args = (raw: Record<string, unknown> = {}) => fetchArgs.parse({ src: '/etc/rancher/k3s/k3s.yaml', dest: '/backup/', ...raw });

describe('fetch: planning', () => {
  it('a missing local copy is fetched into dest/<host>/<src>', () => {
    const p = planFetch(args(), { st: remote, name: named('server1') }, () => null);
    assert.deepEqual(p.changes[0]?.actions, [{ kind: 'fetch', fetch: { src: '/etc/rancher/k3s/k3s.yaml', dest: '/backup/server1/etc/rancher/k3s/k3s.yaml' } }]);
    assert.equal(p.changes[0]?.summary, 'fetch /etc/rancher/k3s/k3s.yaml -> /backup/server1/etc/rancher/k3s/k3s.yaml (42 bytes)');
  });

  it('a local copy with the same sha256 is a no-op; another one is fetched again', () => {
    const same = planFetch(args({ flat: true, dest: '/out/kubeconfig' }), { st: remote, name: null }, () => SHA);
    assert.deepEqual([same.changes, same.noop], [[], '/out/kubeconfig already has the content of /etc/rancher/k3s/k3s.yaml']);
    assert.equal(planFetch(args({ flat: true, dest: '/out/kubeconfig' }), { st: remote, name: null }, () => 'e'.repeat(64)).changes.length, 1);
  });

  it('a missing src fails, unless failOnMissing is false; a directory fails', () => {
    assert.match(planFetch(args(), { st: null, name: named('h') }).error ?? '', /does not exist on the host/);
    assert.equal(planFetch(args({ failOnMissing: false }), { st: null, name: named('h') }).noop, '/etc/rancher/k3s/k3s.yaml does not exist on the host (failOnMissing: false)');
    assert.match(planFetch(args(), { st: { ...remote, type: 'directory' }, name: named('h') }).error ?? '', /regular files only/);
  });

  it('an unreadable local path fails with the reason', () => {
    const p = planFetch(args({ flat: true, dest: '/out/x' }), { st: remote, name: null }, () => {
      throw new Error('EISDIR: illegal operation on a directory');
    });
    assert.match(p.error ?? '', /cannot read the local file \/out\/x: EISDIR/);
  });
});

describe('fetch: where the copy goes', () => {
  it('flat: dest is the file, or a directory when it ends with /', () => {
    assert.equal(localPath(args({ flat: true, dest: '/out/kubeconfig' }), null), '/out/kubeconfig');
    assert.equal(localPath(args({ flat: true, dest: '/out/' }), null), '/out/k3s.yaml');
    assert.equal(localPath(args({ flat: true, dest: 'rel/file' }), null), resolve('rel/file'));
  });

  it('per host: a host name that is not a plain name is refused', () => {
    for (const bad of ['..', '.', 'a/b', '', '-x', '$(x)']) assert.equal(localPath(args(), named(bad)), undefined, bad);
    assert.match(planFetch(args(), { st: remote, name: named('..') }).error ?? '', /cannot be a directory name/);
  });

  it('refuses src with .. segments, relative src and empty dest', () => {
    for (const raw of [{ src: '/etc/../../x' }, { src: 'etc/x' }, { dest: '' }, { dest: 'a\0b' }]) assert.equal(fetchArgs.safeParse({ src: '/a', dest: '/b', ...raw }).success, false, JSON.stringify(raw));
  });
});

describe('sha256OfLocalFile', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-fetch-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('hashes a file in chunks, gives null for a missing one, throws for a directory', () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 'ab');
    writeFileSync(join(dir, 'big'), big);
    assert.equal(sha256OfLocalFile(join(dir, 'big')), createHash('sha256').update(big).digest('hex'));
    assert.equal(sha256OfLocalFile(join(dir, 'missing')), null);
    mkdirSync(join(dir, 'sub'));
    assert.throws(() => sha256OfLocalFile(join(dir, 'sub')), /EISDIR/);
  });
});
