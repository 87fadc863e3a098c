import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { k3sCaCheck, k3sNotAServer } from '@capstan/k3s-agent';
import { installEnv, isReady, k3sInstall, k3sNodeLabels, k3sService, k3sTokenGuard, k3sVersionGuard, labelMap, sha256Hex, type K3sInstallState } from '@capstan/k3s-server';
import { renderScript } from '../../src/commands/command.ts';
import { Secret, type Plan } from '../../src/index.ts';

/** A module's plan for parsed arguments and fact values: facts in, changes out. */
function plan(module: { definition: unknown }, args: unknown, facts: Record<string, unknown>): Plan {
  const def = module.definition as { args: { parse(a: unknown): unknown }; plan(a: unknown, f: unknown): Plan };
  return def.plan(def.args.parse(args), facts);
}

function scripts(p: Plan): string[] {
  return p.changes.flatMap((c) => c.actions.flatMap((a) => (a.kind === 'exec' ? [renderScript(a.command)] : [])));
}

const V = 'v1.32.11+k3s3';
const installed: K3sInstallState = { version: V, unit: true, env: true, enabled: true, active: true, hostname: 'server1' };
const fresh: K3sInstallState = { version: null, unit: false, env: false, enabled: false, active: false, hostname: 'server1' };
const installArgs = { unit: 'k3s', exec: 'server', version: V, airgap: true, binaryChanged: false };

describe('k3s install module', () => {
  it('installs on a fresh host with the air-gap environment and never starts the service itself', () => {
    const p = plan(k3sInstall, installArgs, { st: fresh });
    assert.match(p.changes[0]?.summary ?? '', /k3s\.service missing; installed nothing, desired v1\.32\.11\+k3s3/);
    const [script] = scripts(p);
    for (const env of [`INSTALL_K3S_VERSION=${V}`, 'INSTALL_K3S_SKIP_START=true', 'INSTALL_K3S_EXEC=server', 'INSTALL_K3S_SKIP_DOWNLOAD=true']) assert.ok(script?.includes(env), `${env} in ${script}`);
    assert.match(script ?? '', /sh \/usr\/local\/bin\/k3s-install\.sh/);
    assert.ok(!/K3S_TOKEN|K3S_URL/.test(script ?? ''));
  });

  it('does nothing when the version, unit and env file are in place', () => {
    assert.match(plan(k3sInstall, installArgs, { st: installed }).noop ?? '', /is installed/);
  });

  it('reinstalls when the air-gap binary was replaced, or the env file is gone', () => {
    assert.match(plan(k3sInstall, { ...installArgs, binaryChanged: true }, { st: installed }).changes[0]?.summary ?? '', /binary replaced/);
    assert.match(plan(k3sInstall, installArgs, { st: { ...installed, env: false } }).changes[0]?.summary ?? '', /k3s\.service\.env missing/);
  });

  it('online: downloads the installer first; extra envs never override the role\'s own', () => {
    const args = { ...installArgs, airgap: false, extraEnv: { INSTALL_K3S_EXEC: 'agent', INSTALL_K3S_SKIP_SELINUX_RPM: 'true' } };
    const [script] = scripts(plan(k3sInstall, args, { st: fresh }));
    assert.match(script ?? '', /curl -sfL https:\/\/get\.k3s\.io\/ \|\| wget .*&& sh \/usr\/local\/bin\/k3s-install\.sh/);
    assert.ok(!/INSTALL_K3S_EXEC=agent/.test(script ?? ''));
    assert.ok(!(script ?? '').includes('INSTALL_K3S_SKIP_DOWNLOAD'));
    const env = installEnv({ ...args, unit: 'k3s', exec: 'server', installScriptUrl: 'https://get.k3s.io/', allowDowngrade: false, binaryChanged: false });
    assert.equal(env.INSTALL_K3S_EXEC, 'server');
    assert.equal(env.INSTALL_K3S_SKIP_SELINUX_RPM, 'true');
  });

  it('refuses a downgrade in both guard and installer unless allowed', () => {
    const newer = { ...installed, version: 'v1.33.0+k3s1' };
    assert.match(plan(k3sVersionGuard, { unit: 'k3s', version: V }, { st: newer }).error ?? '', /refusing to downgrade/);
    assert.match(plan(k3sInstall, installArgs, { st: newer }).error ?? '', /refusing to downgrade/);
    assert.equal(plan(k3sInstall, { ...installArgs, allowDowngrade: true }, { st: newer }).changes.length, 1);
  });
});

describe('k3s service, readiness and token guard', () => {
  it('enables and starts only what is missing', () => {
    assert.deepEqual(plan(k3sService, { unit: 'k3s' }, { st: { ...installed, active: false } }).changes.map((c) => c.summary), ['start k3s']);
    assert.deepEqual(plan(k3sService, { unit: 'k3s-agent' }, { st: fresh }).changes.map((c) => c.summary), ['enable k3s-agent', 'start k3s-agent']);
    assert.ok(plan(k3sService, { unit: 'k3s' }, { st: installed }).noop);
  });

  it('is ready only with /readyz ok (servers), node Ready and the desired running version', () => {
    const good = { readyz: 'ok', nodeReady: 'True', kubeletVersion: V };
    assert.equal(isReady({ version: V, apiserver: true }, good), true);
    assert.equal(isReady({ version: V, apiserver: true }, { ...good, readyz: '' }), false);
    assert.equal(isReady({ version: V, apiserver: false }, { ...good, readyz: '' }), true);
    assert.equal(isReady({ version: V, apiserver: true }, { ...good, kubeletVersion: 'v1.32.11+k3s1' }), false);
    assert.equal(isReady({ version: V, apiserver: true }, { ...good, nodeReady: 'Unknown' }), false);
  });

  it('refuses a token that differs from the server data, comparing password parts', () => {
    const onDisk = new Secret(`K10${'a'.repeat(64)}::server:pw-one`);
    assert.ok(plan(k3sTokenGuard, { token: new Secret('pw-one') }, { current: onDisk }).noop);
    assert.match(plan(k3sTokenGuard, { token: new Secret('pw-two') }, { current: onDisk }).error ?? '', /token differs/);
    assert.ok(plan(k3sTokenGuard, { token: new Secret('pw-two'), allowChange: true }, { current: onDisk }).noop);
    assert.ok(plan(k3sTokenGuard, { token: new Secret('pw-two') }, { current: null }).noop);
  });
});

describe('agent CA pre-check', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nTESTCA\n-----END CERTIFICATE-----\n';
  const url = 'https://192.0.2.50:6443';
  it('passes with the matching CA, fails with another, fails clearly when the server cannot be reached', () => {
    assert.ok(plan(k3sCaCheck, { serverUrl: url, token: new Secret(`K10${sha256Hex(pem)}::server:pw`) }, { cacerts: { pem } }).noop);
    assert.match(plan(k3sCaCheck, { serverUrl: url, token: new Secret(`K10${'0'.repeat(64)}::server:pw`) }, { cacerts: { pem } }).error ?? '', /does not match.*refusing to join https:\/\/192\.0\.2\.50:6443/);
    assert.match(plan(k3sCaCheck, { serverUrl: url, token: new Secret('pw') }, { cacerts: { error: 'curl: (7) Failed to connect' } }).error ?? '', /cannot fetch https:\/\/192\.0\.2\.50:6443\/cacerts.*Failed to connect/);
    assert.match(plan(k3sCaCheck, { serverUrl: url, token: new Secret('pw') }, { cacerts: { pem } }).noop ?? '', /short token/);
  });
});

describe('agent host guard', () => {
  it('refuses a host that has k3s.service, accepts one without', () => {
    assert.match(plan(k3sNotAServer, {}, { server: installed }).error ?? '', /already has k3s\.service .*remove it from the agent group/);
    assert.ok(plan(k3sNotAServer, {}, { server: fresh }).noop);
  });
});

describe('node labels', () => {
  it('parses key=value entries (later wins, a bare key has an empty value)', () => {
    assert.deepEqual(labelMap(['a=1', 'b', 'a=2', 'c=x=y']), { a: '2', b: '', c: 'x=y' });
  });

  it('labels only what differs, with --overwrite; leaves other labels alone; fails for an unknown node', () => {
    const p = plan(k3sNodeLabels, { node: 'agent1', labels: ['tier=batch', 'zone=a'] }, { current: { 'kubernetes.io/hostname': 'agent1', zone: 'a', tier: 'web' } });
    assert.deepEqual(p.changes.map((c) => c.summary), ['label node agent1: tier=batch']);
    assert.match(scripts(p)[0] ?? '', /kubectl label node agent1 tier=batch --overwrite/);
    assert.ok(plan(k3sNodeLabels, { node: 'agent1', labels: ['zone=a'] }, { current: { zone: 'a', other: 'x' } }).noop);
    assert.match(plan(k3sNodeLabels, { node: 'agent9', labels: ['zone=a'] }, { current: null }).error ?? '', /not registered/);
  });
});
