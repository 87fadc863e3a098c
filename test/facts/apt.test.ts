import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { aptCache, aptPackages, parseAptCache, parseAptPackages, parseAptPolicy, parseDpkgRows, splitCombinedPackages, toState } from '../../src/facts/apt.ts';

describe('apt.packages fact', () => {
  describe('reads dpkg status triples', () => {
    const table: [string, string, ReturnType<typeof toState>][] = [
      ['install ok installed', '2.6.12-1', { status: 'installed', version: '2.6.12-1' }],
      ['hold ok installed', '1.0', { status: 'installed', version: '1.0' }],
      ['install ok triggers-pending', '1.0', { status: 'installed', version: '1.0' }],
      ['deinstall ok config-files', '1.0', { status: 'config-files', version: null }],
      ['purge ok not-installed', '', { status: 'absent', version: null }],
      ['unknown ok not-installed', '', { status: 'absent', version: null }],
      ['install ok half-configured', '1.0', { status: 'partial', version: '1.0' }],
      ['install ok unpacked', '1.0', { status: 'partial', version: '1.0' }],
      ['install reinstreq half-installed', '1.0', { status: 'partial', version: '1.0' }],
    ];
    for (const [status, version, want] of table) {
      it(`"${status}" is ${want.status}`, () => assert.deepEqual(toState(status, version), want));
    }
  });

  it('merges multi-arch rows of one name to the most installed one', () => {
    const rows = parseDpkgRows('libc6\tdeinstall ok config-files\t2.36\nlibc6\tinstall ok installed\t2.36-9\n');
    assert.deepEqual(rows.get('libc6'), { status: 'installed', version: '2.36-9' });
  });

  it('reports every package asked for: those dpkg does not know are absent', () => {
    const out = 'curl\tinstall ok installed\t7.88.1-10\ntelnet\tdeinstall ok config-files\t0.17\n';
    assert.deepEqual(parseAptPackages(out, ['curl', 'haproxy', 'telnet'], false), {
      supported: true,
      packages: {
        curl: { status: 'installed', version: '7.88.1-10' },
        haproxy: { status: 'absent', version: null },
        telnet: { status: 'config-files', version: null },
      },
    });
  });

  it('adds candidate versions from apt-cache policy when asked', () => {
    const out = [
      'sudo\tinstall ok installed\t1.9.13p3-1',
      '--capstan-apt-policy--',
      'haproxy:', '  Installed: (none)', '  Candidate: 2.6.12-1+deb12u3', '  Version table:', '     2.6.12-1+deb12u3 500',
      'sudo:', '  Installed: 1.9.13p3-1', '  Candidate: 1.9.13p3-2', '  Version table:', ' *** 1.9.13p3-1 100',
      '',
    ].join('\n');
    const r = parseAptPackages(out, ['haproxy', 'nosuch', 'sudo'], true);
    assert.deepEqual(r, {
      supported: true,
      packages: {
        haproxy: { status: 'absent', version: null, candidate: '2.6.12-1+deb12u3' },
        nosuch: { status: 'absent', version: null, candidate: null },
        sudo: { status: 'installed', version: '1.9.13p3-1', candidate: '1.9.13p3-2' },
      },
    });
  });

  it('reads arch-qualified policy headings and "(none)" candidates', () => {
    const p = parseAptPolicy('libc6:amd64:\n  Installed: 2.36\n  Candidate: (none)\nlibc6:i386:\n  Installed: (none)\n  Candidate: 9\n');
    assert.deepEqual(p.get('libc6'), { installed: '2.36', candidate: null });
  });

  it('says when the host has no apt, with its os-release ID', () => {
    assert.deepEqual(parseAptPackages('unsupported\talpine\n', ['curl'], false), { supported: false, os: 'alpine' });
  });

  it('is one POSIX sh command, with every name quoted', () => {
    const ref = aptPackages({ names: ['curl', 'g++'], candidates: true });
    assert.match(ref.script, /dpkg-query -W -f '\$\{Package\}\\t\$\{Status\}\\t\$\{Version\}\\n' -- curl g\+\+/);
    assert.match(ref.script, /apt-cache -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= policy -- curl g\+\+/);
    assert.equal(spawnSync('sh', ['-n', '-c', ref.script]).status, 0);
  });
});

describe('apt.cache fact', () => {
  it('dates the lists by the newer of the update stamp and the lists directory', () => {
    assert.deepEqual(parseAptCache('1000 900 950 1\n'), { supported: true, os: '', now: 1000, updatedAt: 950, hasLists: true });
    assert.deepEqual(parseAptCache('1000 990 950 1\n'), { supported: true, os: '', now: 1000, updatedAt: 990, hasLists: true });
  });

  it('knows lists that were never updated, and empty lists', () => {
    assert.deepEqual(parseAptCache('1000 - - 0\n'), { supported: true, os: '', now: 1000, updatedAt: null, hasLists: false });
  });

  it('says whether dpkg was interrupted: numbered entries left in its update journal', () => {
    assert.equal(parseAptCache('1000 900 950 1 0\n').dpkgInterrupted, false);
    assert.equal(parseAptCache('1000 900 950 1 2\n').dpkgInterrupted, true);
    assert.match(aptCache().script, /ls -A \/var\/lib\/dpkg\/updates .*grep -c '\^\[0-9\]\[0-9\]\*\$'/);
    assert.equal(parseAptCache('1000 - 950 0\n').hasLists, false);
  });

  it('says when the host has no apt', () => {
    assert.equal(parseAptCache('unsupported\tfedora\n').supported, false);
    assert.equal(parseAptCache('unsupported\tfedora\n').os, 'fedora');
  });

  it('refuses output it does not understand', () => {
    assert.throws(() => parseAptCache('garbage\n'), /now stamp lists/);
  });

  it('is valid POSIX sh', () => {
    assert.equal(spawnSync('sh', ['-n', '-c', aptCache().script]).status, 0);
  });
});

describe('apt.packages gathered together', () => {
  const dpkg = 'curl\tinstall ok installed\t7.88.1-10\nhaproxy\tinstall ok installed\t2.6.12-1\n';
  const policy = 'curl:\n  Installed: 7.88.1-10\n  Candidate: 7.88.1-11\n  Version table:\n     7.88.1-11 500\nsudo:\n  Installed: (none)\n  Candidate: 1.9.13\n';

  it('one dpkg-query for every name, one apt-cache policy for the names whose candidates are asked', () => {
    const ref = aptPackages({ names: ['curl'], candidates: true });
    const script = ref.combine!.with.script([{ names: ['curl', 'haproxy'] }, { names: ['curl', 'sudo'], candidates: true }]);
    assert.equal(script.match(/dpkg-query -W/g)?.length, 1);
    assert.match(script, /-- curl haproxy sudo 2>\/dev\/null/);
    assert.match(script, /policy -- curl sudo 2>/);
    assert.equal(spawnSync('sh', ['-n', '-c', script]).status, 0);
  });

  it('each fact reads its own packages: rows and candidates as its own probe would', () => {
    const calls = [{ names: ['haproxy', 'nosuch'] }, { names: ['curl', 'sudo'], candidates: true }];
    const parts = splitCombinedPackages(`${dpkg}--capstan-apt-policy--\n${policy}`, calls);
    assert.deepEqual(parseAptPackages(parts[0]!.stdout, calls[0]!.names, false), {
      supported: true, packages: { haproxy: { status: 'installed', version: '2.6.12-1' }, nosuch: { status: 'absent', version: null } },
    });
    assert.deepEqual(parseAptPackages(parts[1]!.stdout, calls[1]!.names, true), {
      supported: true, packages: { curl: { status: 'installed', version: '7.88.1-10', candidate: '7.88.1-11' }, sudo: { status: 'absent', version: null, candidate: '1.9.13' } },
    });
    assert.doesNotMatch(parts[0]!.stdout, /curl|policy/);
  });

  it('a host without apt says so for every fact; patterns and architectures go alone', () => {
    const parts = splitCombinedPackages('unsupported\talpine\n', [{ names: ['a'] }, { names: ['b'] }]);
    assert.deepEqual(parts.map((p) => parseAptPackages(p.stdout, ['a'], false)), [{ supported: false, os: 'alpine' }, { supported: false, os: 'alpine' }]);
    assert.equal(aptPackages({ names: ['lib*'] }).combine, undefined);
    assert.equal(aptPackages({ names: ['curl:amd64'] }).combine, undefined);
    assert.ok(aptPackages({ names: ['libc6', 'g++'] }).combine);
  });
});

