import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { caHashCheck, compareK3sVersions, downgradeRefusal, parseInstallState, parseK3sToken, parseK3sVersion, sha256Hex, tokenPassword, versionFromK3sOutput } from '@capstan/k3s-server';

describe('K3s versions', () => {
  it('parses the tuple, rc included', () => {
    assert.deepEqual(parseK3sVersion('v1.32.11+k3s3'), { major: 1, minor: 32, patch: 11, k3s: 3 });
    assert.deepEqual(parseK3sVersion('v1.33.0-rc1+k3s1'), { major: 1, minor: 33, patch: 0, rc: 1, k3s: 1 });
    for (const bad of ['1.32.11+k3s3', 'v1.32.11', 'v1.32+k3s1', 'v1.32.11+k3s', 'latest', '']) assert.throws(() => parseK3sVersion(bad), /not a K3s version/);
  });

  const ordered = ['v1.31.9+k3s1', 'v1.32.0-rc1+k3s1', 'v1.32.0-rc2+k3s1', 'v1.32.0+k3s1', 'v1.32.6+k3s1', 'v1.32.11+k3s1', 'v1.32.11+k3s3', 'v1.33.0+k3s1'];
  for (let i = 0; i + 1 < ordered.length; i++) {
    const [a, b] = [ordered[i] as string, ordered[i + 1] as string];
    it(`${a} < ${b}`, () => {
      assert.equal(compareK3sVersions(a, b), -1);
      assert.equal(compareK3sVersions(b, a), 1);
      assert.equal(compareK3sVersions(a, a), 0);
    });
  }

  it('reads field 3 of the first line of k3s --version', () => {
    assert.equal(versionFromK3sOutput('k3s version v1.32.6+k3s1 (eb603acd)\ngo version go1.23.10\n'), 'v1.32.6+k3s1');
    assert.equal(versionFromK3sOutput('k3s version v1.32.11+k3s3 (test-double)'), 'v1.32.11+k3s3');
    assert.equal(versionFromK3sOutput(''), null);
    assert.equal(versionFromK3sOutput('sh: 1: k3s: not found'), null);
  });

  it('refuses downgrades unless allowed; upgrades and fresh installs pass', () => {
    assert.match(downgradeRefusal('v1.32.11+k3s3', 'v1.32.11+k3s1', false) ?? '', /refusing to downgrade K3s from v1\.32\.11\+k3s3 to v1\.32\.11\+k3s1/);
    assert.equal(downgradeRefusal('v1.32.11+k3s3', 'v1.32.11+k3s1', true), undefined);
    assert.equal(downgradeRefusal('v1.32.11+k3s1', 'v1.32.11+k3s3', false), undefined);
    assert.equal(downgradeRefusal(null, 'v1.32.11+k3s3', false), undefined);
  });

  it('parses the install-state fact', () => {
    const out = 'version=k3s version v1.32.11+k3s3 (test-double)\nunit=yes\nenv=no\nenabled=enabled\nactive=inactive\nhostname=server1\n';
    assert.deepEqual(parseInstallState(out), { version: 'v1.32.11+k3s3', unit: true, env: false, enabled: true, active: false, hostname: 'server1' });
    assert.deepEqual(parseInstallState('version=\nunit=no\nenv=no\nenabled=\nactive=\nhostname=n\n'), { version: null, unit: false, env: false, enabled: false, active: false, hostname: 'n' });
  });
});

describe('K3s tokens', () => {
  const hash = 'c0ffee'.repeat(10) + 'abcd';
  it('parses the full K10 form', () => {
    assert.deepEqual(parseK3sToken(`K10${hash}::server:s3cr3t:with:colons`), { format: 'full', caHash: hash, username: 'server', password: 's3cr3t:with:colons' });
    assert.deepEqual(parseK3sToken(`K10${hash}::node:pw\n`), { format: 'full', caHash: hash, username: 'node', password: 'pw' });
  });

  it('parses the short form', () => {
    assert.deepEqual(parseK3sToken('just-a-password'), { format: 'short', password: 'just-a-password' });
    assert.equal(tokenPassword(`K10${hash}::server:pw`), tokenPassword('pw'));
  });

  it('rejects empty and malformed K10 tokens', () => {
    assert.throws(() => parseK3sToken('  '), /empty/);
    assert.throws(() => parseK3sToken('K10abc::server:pw'), /K10<64 hex digits>/);
    assert.throws(() => parseK3sToken(`K10${hash}:server:pw`), /K10<64 hex digits>/);
  });
});

describe('CA hash check', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3Mtc2Vy\n-----END CERTIFICATE-----\n';
  it('accepts the CA whose SHA-256 is in the token', () => {
    assert.deepEqual(caHashCheck(pem, `K10${sha256Hex(pem)}::server:pw`), { ok: true });
  });
  it('rejects another CA, naming both hashes briefly', () => {
    const r = caHashCheck(pem.replace('MII', 'XII'), `K10${sha256Hex(pem)}::server:pw`);
    assert.ok('ok' in r && !r.ok);
    assert.match(r.ok ? '' : r.reason, /token CA hash does not match the cluster CA certificate hash/);
  });
  it('hashes the bundle exactly as served (a trailing newline matters)', () => {
    const r = caHashCheck(pem.trimEnd(), `K10${sha256Hex(pem)}::server:pw`);
    assert.equal('ok' in r && r.ok, false);
  });
  it('skips the check for a short token, saying so', () => {
    assert.match((caHashCheck(pem, 'pw') as { skipped: string }).skipped, /short token/);
  });
});
