import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { canonicalKey, normalizeValue, parseLive, parseSysctlFile, plainDir, procSysPath, sysctlFile, sysctlLive } from '../../src/facts/sysctl.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('sysctl facts', () => {
  describe('key forms map to /proc/sys paths as sysctl(8) reads them', () => {
    const table: [string, string][] = [
      ['net.ipv4.tcp_fin_timeout', '/proc/sys/net/ipv4/tcp_fin_timeout'],
      ['net/ipv4/tcp_fin_timeout', '/proc/sys/net/ipv4/tcp_fin_timeout'],
      ['net.ipv4.conf.eth0/10.rp_filter', '/proc/sys/net/ipv4/conf/eth0.10/rp_filter'],
      ['net/ipv4/conf/eth0.10/rp_filter', '/proc/sys/net/ipv4/conf/eth0.10/rp_filter'],
    ];
    for (const [key, path] of table) it(`${key} -> ${path}`, () => assert.equal(procSysPath(key), path));
  });

  it('compares keys written either way', () => {
    assert.equal(canonicalKey('net/ipv4/ip_forward'), canonicalKey('net.ipv4.ip_forward'));
    assert.equal(canonicalKey(' net.ipv4.ip_forward '), 'net.ipv4.ip_forward');
    assert.notEqual(canonicalKey('net.ipv4.conf.all.rp_filter'), canonicalKey('net.ipv4.conf.default.rp_filter'));
  });

  describe('live value', () => {
    const table: [string, string | null][] = [
      [`value ${b64('60\n')}`, '60'],
      [`value ${b64('32768\t60999\n')}`, '32768\t60999'],
      ['value ', ''],
      ['missing', null],
    ];
    for (const [out, want] of table) it(`${JSON.stringify(out)} -> ${JSON.stringify(want)}`, () => assert.equal(parseLive(`${out}\n`), want));
    it('refuses anything else', () => assert.throws(() => parseLive('permission denied'), /expected/));
  });

  describe('sysctl.d file', () => {
    const table: [string, { dirExists: boolean; content: string | null }][] = [
      [`yes ${b64('a.b = 1\n')}`, { dirExists: true, content: 'a.b = 1\n' }],
      ['yes ', { dirExists: true, content: '' }],
      ['yes -', { dirExists: true, content: null }],
      ['no -', { dirExists: false, content: null }],
    ];
    for (const [out, want] of table) it(`${JSON.stringify(out)} -> ${JSON.stringify(want)}`, () => assert.deepEqual(parseSysctlFile(`${out}\n`), want));
  });

  it('normalises blanks the way the kernel prints them', () => {
    assert.equal(normalizeValue(' 32768\t60999 \n'), '32768 60999');
  });

  it('the probes are POSIX sh and read this machine\'s kernel', () => {
    const live = sysctlLive('kernel.ostype');
    assert.equal(parseLive(spawnSync('sh', ['-c', live.script], { encoding: 'utf8' }).stdout), 'Linux');
    assert.equal(parseLive(spawnSync('sh', ['-c', sysctlLive('no.such.key').script], { encoding: 'utf8' }).stdout), null);
    const file = sysctlFile("/nonexistent/it's.conf");
    assert.deepEqual(parseSysctlFile(spawnSync('sh', ['-c', file.script], { encoding: 'utf8' }).stdout), { dirExists: false, content: null });
  });
});

describe('sysctl.file directory', () => {
  it('is computed as dirname prints it for plain absolute paths; other forms still ask dirname', () => {
    for (const p of ['/etc/sysctl.d/61-x.conf', '/x.conf', "/it's here/x"]) {
      const real = spawnSync('dirname', ['--', p], { encoding: 'utf8' }).stdout.trim();
      assert.equal(plainDir(p), real, p);
      assert.doesNotMatch(sysctlFile(p).script, /dirname/);
    }
    for (const p of ['rel/x.conf', '/a//b', '/a/b/']) {
      assert.equal(plainDir(p), null, p);
      assert.match(sysctlFile(p).script, /dirname -- "\$f"/);
    }
  });
});

