/**
 * The cluster's kubeconfig merged into a kubeconfig already on the controller: other
 * clusters, users and contexts stay as they were; the cluster's entries are replaced or
 * added, and its context becomes the current one.
 *
 *   node --import tsx --test test/roles/k3s-kubeconfig.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { mergeKubeconfig, rewriteKubeconfig } from '@capstan/k3s-server';

const K3S_ADMIN = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0EK
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: Q0VSVAo=
    client-key-data: S0VZCg==
`;
const ours = rewriteKubeconfig(K3S_ADMIN, { server: 'https://10.0.0.5:6443', name: 'prod' });
const OTHER = `apiVersion: v1
kind: Config
preferences: { colors: true }
clusters: [{ name: staging, cluster: { server: 'https://staging:6443' } }, { name: prod, cluster: { server: 'https://old-prod:6443' } }]
users: [{ name: staging, user: { token: abc } }, { name: prod, user: { token: old } }]
contexts: [{ name: staging, context: { cluster: staging, user: staging } }, { name: prod, context: { cluster: prod, user: prod } }]
current-context: staging
`;

type Cfg = { 'current-context': string; preferences?: unknown; clusters: { name: string; cluster: { server: string } }[]; users: { name: string; user: Record<string, string> }[]; contexts: { name: string }[] };

describe('mergeKubeconfig', () => {
  it('with no file yet, writes the cluster kubeconfig as it is', () => {
    assert.equal(mergeKubeconfig(undefined, ours, 'prod'), ours);
    assert.equal(mergeKubeconfig('', ours, 'prod'), ours);
  });

  it('keeps the other entries, replaces the same-named ones, and makes the cluster current', () => {
    const cfg = parse(mergeKubeconfig(OTHER, ours, 'prod')) as Cfg;
    assert.deepEqual(cfg.clusters.map((c) => [c.name, c.cluster.server]), [['staging', 'https://staging:6443'], ['prod', 'https://10.0.0.5:6443']]);
    assert.deepEqual(cfg.users.map((u) => u.name), ['staging', 'prod']);
    assert.equal(cfg.users.find((u) => u.name === 'prod')?.user['client-key-data'], 'S0VZCg==');
    assert.deepEqual(cfg.contexts.map((c) => c.name), ['staging', 'prod']);
    assert.equal(cfg['current-context'], 'prod');
    assert.deepEqual(cfg.preferences, { colors: true });
  });

  it('is idempotent: merging again gives the same text', () => {
    const once = mergeKubeconfig(OTHER, ours, 'prod');
    assert.equal(mergeKubeconfig(once, ours, 'prod'), once);
  });

  it('refuses a file that is not a kubeconfig instead of overwriting it', () => {
    assert.throws(() => mergeKubeconfig('- a\n- b\n', ours, 'prod'), /already on the controller is not a kubeconfig/);
    assert.throws(() => mergeKubeconfig('kind: Deployment\n', ours, 'prod'), /is a Deployment, not a kubeconfig/);
    assert.throws(() => mergeKubeconfig('clusters: {}\n', ours, 'prod'), /has no clusters list/);
  });
});
