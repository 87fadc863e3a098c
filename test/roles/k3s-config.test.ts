import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { agentConfigYaml, agentVars } from '@capstan/k3s-agent';
import { renderK3sConfig, rewriteKubeconfig, serverConfigYaml, serverVars } from '@capstan/k3s-server';
import { Secret } from '../../src/index.ts';

const golden = (name: string) => fileURLToPath(new URL(`../../roles/${name.startsWith('agent') ? 'k3s-agent' : 'k3s-server'}/test/golden/${name}`, import.meta.url));

/** Compares with the golden file; CAPSTAN_UPDATE_GOLDEN=1 rewrites it instead. */
function assertGolden(name: string, actual: string): void {
  if (process.env.CAPSTAN_UPDATE_GOLDEN === '1') writeFileSync(golden(name), actual);
  assert.equal(actual, readFileSync(golden(name), 'utf8'), `golden file ${name}`);
}

describe('config.yaml rendering', () => {
  it('single server with defaults', () => {
    assertGolden('server-single.yaml', serverConfigYaml(serverVars.parse({}), '192.0.2.50'));
  });

  it('joining server with token, tls-san, labels, taints, disable and extra_config (extra wins)', () => {
    const v = serverVars.parse({
      mode: 'join', join_server_url: 'https://192.0.2.50:6443', token: 'K10' + 'a'.repeat(64) + '::server:pw-golden',
      tls_san: ['k3s.example.lan', '192.0.2.100', 'k3s.example.lan'], node_labels: ['topology.kubernetes.io/zone=a'],
      node_taints: ['CriticalAddonsOnly=true:NoExecute'], disable: ['servicelb'], write_kubeconfig_mode: '644',
      api_port: 6444, extra_config: { 'kube-apiserver-arg': ['audit-log-maxage=30'], 'service-cidr': '10.96.0.0/16' },
    });
    assertGolden('server-join.yaml', serverConfigYaml(v, '192.0.2.51'));
  });

  it('agent joining a server', () => {
    const v = agentVars.parse({ node_labels: ['node.kubernetes.io/role=stateful'], node_name: 'agent-1' });
    assertGolden('agent.yaml', agentConfigYaml(v, 'https://192.0.2.50:6443', new Secret('K10' + 'b'.repeat(64) + '::server:pw-agent')));
  });

  it('is deterministic: key order of the input does not matter, values that need quoting are quoted', () => {
    const a = renderK3sConfig({ b: 'x', a: ['2', '1'], 'write-kubeconfig-mode': '0600', c: 'yes', d: '' });
    const b = renderK3sConfig({ c: 'yes', 'write-kubeconfig-mode': '0600', a: ['2', '1'], b: 'x' });
    assert.equal(a, b);
    assert.deepEqual(Object.keys(parse(a) as object), ['a', 'b', 'c', 'write-kubeconfig-mode']);
    assert.deepEqual(parse(a), { a: ['2', '1'], b: 'x', c: 'yes', 'write-kubeconfig-mode': '0600' });
  });

  it('hostile strings survive as data', () => {
    const hostile = ['$(touch /tmp/PWNED)', "it's", 'a: b', '#comment', 'line1', '{{ 7*7 }}', '<%= x %>', 'é中😀', 'no', 'null', '0644'];
    const out = renderK3sConfig({ 'node-label': hostile });
    assert.deepEqual((parse(out) as { 'node-label': string[] })['node-label'], hostile);
  });
});

describe('kubeconfig rewrite', () => {
  const k3sYaml = [
    'apiVersion: v1', 'clusters:', '- cluster:', '    certificate-authority-data: QUJD', '    server: https://127.0.0.1:6443', '  name: default',
    'contexts:', '- context:', '    cluster: default', '    user: default', '  name: default', 'current-context: default', 'kind: Config',
    'preferences: {}', 'users:', '- name: default', '  user:', '    client-certificate-data: REVG', '    client-key-data: R0hJ', '',
  ].join('\n');

  it('points the cluster at the API address and renames cluster, user and context, keeping credentials', () => {
    const out = parse(rewriteKubeconfig(k3sYaml, { server: 'https://192.0.2.50:6443', name: 'lab' })) as Record<string, unknown>;
    assert.deepEqual(out.clusters, [{ name: 'lab', cluster: { 'certificate-authority-data': 'QUJD', server: 'https://192.0.2.50:6443' } }]);
    assert.deepEqual(out.users, [{ name: 'lab', user: { 'client-certificate-data': 'REVG', 'client-key-data': 'R0hJ' } }]);
    assert.deepEqual(out.contexts, [{ name: 'lab', context: { cluster: 'lab', user: 'lab' } }]);
    assert.equal(out['current-context'], 'lab');
  });

  it('refuses a kubeconfig that is not the single-cluster K3s one', () => {
    assert.throws(() => rewriteKubeconfig('kind: Config\n', { server: 'https://x:6443', name: 'x' }), /no clusters list/);
    assert.throws(() => rewriteKubeconfig('a: 1\na: 2\n', { server: 'https://x:6443', name: 'x' }), /not valid YAML/);
  });
});
