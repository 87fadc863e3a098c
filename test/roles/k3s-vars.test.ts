import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { k3sAgent } from '@capstan/k3s-agent';
import { k3sServer, serverVars } from '@capstan/k3s-server';
import { ConfigError, definePlaybook, Secret, validatePlaybook } from '../../src/index.ts';
import { testInventory } from '../support/inventory.ts';

const opts = { extraVars: {}, tags: [], skipTags: [] };

function problems(groupVars: Record<string, unknown>, hostVars: Record<string, Record<string, unknown>> = {}): ConfigError {
  const pb = definePlaybook({ plays: [
    { name: 'server', hosts: 'server', roles: [k3sServer.use()] },
    { name: 'agents', hosts: 'agent', roles: [k3sAgent.use()] },
  ] });
  const inv = testInventory({ server: ['s1'], agent: ['a1'] }, hostVars, { server: groupVars, agent: groupVars });
  try {
    validatePlaybook(pb, inv, opts);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('expected validation to fail before connecting');
}

describe('k3s role variables are validated before connecting', () => {
  it('defaults validate, and a token given as a string becomes a Secret', () => {
    const v = serverVars.parse({ token: 'pw-from-inventory' });
    assert.equal(v.k3s_version, 'v1.32.11+k3s3');
    assert.equal(v.mode, 'single');
    assert.equal(v.write_kubeconfig_mode, '0600');
    assert.ok(v.token instanceof Secret);
    assert.equal(String(v.token), '***');
    const pb = definePlaybook({ plays: [{ name: 'server', hosts: 'server', roles: [k3sServer.use()] }, { name: 'agents', hosts: 'agent', roles: [k3sAgent.use()] }] });
    validatePlaybook(pb, testInventory({ server: ['s1'], agent: ['a1'] }), opts);
  });

  it('a malformed version is refused, naming the variable and where it came from', () => {
    const e = problems({}, { s1: { k3s_version: 'v1.32.11' }, a1: { k3s_version: 'latest' } });
    const paths = e.problems.map((p) => `${p.keyPath ?? ''}`);
    assert.ok(paths.filter((p) => p === 'k3s_version').length === 2, paths.join(','));
    assert.match(e.message, /host s1: role k3s-server: .*v1\.32\.11\+k3s3/);
    assert.match(e.message, /host a1: role k3s-agent/);
  });

  it('all field problems at once: unknown disable entry, numeric kubeconfig mode, unknown mode', () => {
    const e = problems({}, { s1: { mode: 'ha', disable: ['traefik', 'flannel'], write_kubeconfig_mode: 644 } });
    const paths = new Set(e.problems.map((p) => p.keyPath));
    for (const p of ['mode', 'disable.1', 'write_kubeconfig_mode']) assert.ok(paths.has(p), `${p} in ${[...paths].join(', ')}`);
  });

  it('mode join needs join_server_url and the cluster token (checked once the fields themselves are valid)', () => {
    const e = problems({}, { s1: { mode: 'join' } });
    const paths = new Set(e.problems.map((p) => p.keyPath));
    for (const p of ['join_server_url', 'token']) assert.ok(paths.has(p), `${p} in ${[...paths].join(', ')}`);
  });

  it('an air-gap directory that is missing, or lacks the binary, is refused', () => {
    const e = problems({ airgap_dir: '/nonexistent/k3s-airgap' });
    assert.match(e.message, /air-gap directory \/nonexistent\/k3s-airgap does not exist on the controller/);
  });

  it('an agent server_url that is not https is refused (K3s refuses it too)', () => {
    const e = problems({}, { a1: { server_url: 'http://192.0.2.50:6443' } });
    assert.ok(e.problems.some((p) => p.keyPath === 'server_url'));
  });

  it('a secret value never appears in a validation error', () => {
    const e = problems({}, { s1: { token: 'canary-token-4711\n', mode: 'nope' } });
    assert.ok(!e.message.includes('canary-token-4711'));
  });

  it('an agent with no server to take the token from is refused', () => {
    const pb = definePlaybook({ plays: [{ name: 'agents', hosts: 'agent', roles: [k3sAgent.use()] }] });
    assert.throws(() => validatePlaybook(pb, testInventory({ agent: ['a1'] }), opts), /k3s-agent needs a server/);
  });
});

describe('k3s-server extra_manifests', () => {
  it('takes existing .yaml/.yml/.json files on the controller, with distinct file names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-manifests-'));
    writeFileSync(join(dir, 'app.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: app}\n');
    writeFileSync(join(dir, 'notes.txt'), 'x');
    assert.deepEqual(serverVars.parse({ extra_manifests: [join(dir, 'app.yaml')] }).extra_manifests, [join(dir, 'app.yaml')]);
    const r = serverVars.safeParse({ extra_manifests: [join(dir, 'notes.txt'), join(dir, 'missing.yaml')] });
    assert.ok(!r.success);
    assert.deepEqual(r.error.issues.map((i) => i.message), [`${join(dir, 'notes.txt')}: K3s deploys only .yaml, .yml and .json manifests`, `manifest ${join(dir, 'missing.yaml')} does not exist on the controller`]);
    const dup = serverVars.safeParse({ extra_manifests: [join(dir, 'app.yaml'), join(dir, 'app.yaml')] });
    assert.match(dup.error?.issues[0]?.message ?? '', /same file name/);
  });
});
