import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { k3sAgent } from '@capstan/k3s-agent';
import { parseK3sToken } from '@capstan/k3s-server';
import { definePlaybook } from '../../src/index.ts';
import { dockerSkipReason, runScenario, startNodes, type NodeSet } from '../../src/testing/index.ts';
import stage3 from '../../playbooks/stage3-multi-node.ts';
import { buildTestDoubleAirgap } from '../k3s-double/airgap-test-double.ts';
import { runOnce } from '../k3s-double/run-playbook.ts';

const skip = await dockerSkipReason();
const V1 = 'v1.32.11+k3s3';
const LABEL = 'capstan.test/tier=batch';

function agentWithToken(host: string, token: string) {
  return definePlaybook({ name: 'agent with a given token', plays: [{ name: 'agent', hosts: host, become: true, roles: [k3sAgent.use({ token })] }] });
}

describe('stage 3: a server and two agents joining with its token (K3s TEST DOUBLE, air-gap path)', { skip }, () => {
  let set: NodeSet | undefined;
  after(async () => set?.destroy());

  it('check on fresh nodes predicts (token known after apply) and touches nothing; apply converges; again: zero changes', async () => {
    set = await startNodes({ groups: { server: 1, agent: 2 }, withPython: true });
    const nodes = set;
    const airgap = await buildTestDoubleAirgap(join(nodes.workDir, 'airgap-test-double'), V1);
    const report = await runScenario({
      playbook: stage3, nodes,
      extraVars: { airgap_dir: airgap, k3s_version: V1, fetch_kubeconfig: false, node_labels: [LABEL] },
      verify: async () => {
        const out = (await nodes.exec('server1', ['/usr/local/bin/k3s', 'kubectl', 'get', 'nodes'])).stdout;
        for (const n of ['server1', 'agent1', 'agent2']) assert.match(out, new RegExp(`^${n}\\s+Ready\\s`, 'm'));
        for (const n of ['server1', 'agent1', 'agent2']) {
          const labels = await nodes.exec('server1', ['/usr/local/bin/k3s', 'kubectl', 'get', 'node', n, '-o', 'jsonpath={.metadata.labels}']);
          assert.equal((JSON.parse(labels.stdout) as Record<string, string>)['capstan.test/tier'], 'batch');
        }
        const wait = await nodes.exec('server1', ['/usr/local/bin/k3s', 'kubectl', 'wait', '--for=condition=Ready', 'node/agent2', '--timeout=10s']);
        assert.equal(wait.stdout.trim(), 'node/agent2 condition met');
        for (const a of ['agent1', 'agent2']) {
          assert.equal((await nodes.exec(a, ['systemctl', 'is-active', 'k3s-agent'])).stdout.trim(), 'active');
          assert.equal((await nodes.exec(a, ['stat', '-c', '%a', '/etc/rancher/k3s/config.yaml'])).stdout.trim(), '600');
        }
      },
    });
    const checkToken = report.check.events.find((e) => e.type === 'host.step' && e.host === 'agent1' && e.step.startsWith('cluster CA'));
    assert.ok(checkToken?.type === 'host.step' && /known after apply/.test(`${checkToken.result.uncertain ?? ''}`), 'under --check the agent token is known after apply');
    assert.equal(report.applyAgain.recap.hosts.agent2?.changed, 0);
    const password = (await nodes.exec('server1', ['cat', '/var/lib/rancher/k3s/server/node-token'])).stdout.trim().split(':').at(-1) ?? '';
    assert.ok(password.length >= 16);
    for (const phase of [report.check, report.apply, report.applyAgain, report.checkAgain]) {
      assert.ok(!JSON.stringify(phase.events).includes(password), 'the generated token never appears in events');
    }
  });

  it('a label changed behind its back is set again on the API server, without restarting the agent', async () => {
    assert.ok(set);
    const nodes = set;
    const kubectl = (...args: string[]) => nodes.exec('server1', ['/usr/local/bin/k3s', 'kubectl', ...args]);
    assert.equal((await kubectl('label', 'node', 'agent1', 'capstan.test/tier=other', '--overwrite')).stdout.trim(), 'node/agent1 labeled');
    const r = await runOnce(nodes, stage3, { airgap_dir: join(nodes.workDir, 'airgap-test-double'), k3s_version: V1, fetch_kubeconfig: false, node_labels: [LABEL] });
    assert.equal(r.recap.exitCode, 0, r.steps.filter((s) => s.result.status === 'failed').map((s) => s.result.msg).join('\n'));
    assert.deepEqual(r.steps.filter((s) => s.result.status === 'changed').map((s) => `${s.host}: ${s.step}`), ['agent1: node labels on server1']);
    const labels = JSON.parse((await kubectl('get', 'node', 'agent1', '-o', 'jsonpath={.metadata.labels}')).stdout) as Record<string, string>;
    assert.equal(labels['capstan.test/tier'], 'batch');
  });

  it('refuses a token from another cluster before writing anything, with a clear error', async () => {
    assert.ok(set);
    const nodes = set;
    const airgap = join(nodes.workDir, 'airgap-test-double');
    const before = (await nodes.exec('agent1', ['sha256sum', '/etc/rancher/k3s/config.yaml'])).stdout;
    const foreign = `K10${'0'.repeat(64)}::server:not-this-cluster`;
    const r = await runOnce(nodes, agentWithToken('agent1', foreign), { airgap_dir: airgap, k3s_version: V1 });
    assert.notEqual(r.recap.exitCode, 0);
    const failed = r.steps.find((s) => s.result.status === 'failed');
    assert.match(failed?.result.msg ?? '', /token CA hash does not match the cluster CA certificate hash.*refusing to join https:\/\//);
    assert.equal((await nodes.exec('agent1', ['sha256sum', '/etc/rancher/k3s/config.yaml'])).stdout, before);
    assert.ok(!r.events.some((e) => JSON.stringify(e).includes('not-this-cluster')), 'the token never appears in events');
  });

  it('a token with the right CA but a wrong password is refused by the server (401) and the step says so', async () => {
    assert.ok(set);
    const nodes = set;
    const real = (await nodes.exec('server1', ['cat', '/var/lib/rancher/k3s/server/node-token'])).stdout.trim();
    const t = parseK3sToken(real);
    assert.equal(t.format, 'full');
    const wrong = `K10${t.format === 'full' ? t.caHash : ''}::server:wrong-password-for-test`;
    const r = await runOnce(nodes, agentWithToken('agent2', wrong), { airgap_dir: join(nodes.workDir, 'airgap-test-double'), k3s_version: V1, ready_timeout_s: 10 });
    assert.notEqual(r.recap.exitCode, 0);
    const failed = r.steps.find((s) => s.result.status === 'failed');
    assert.equal(failed?.step, 'restart k3s-agent');
    assert.match(failed?.result.msg ?? '', /failed to register agent with https:\/\/[^:]+:6443: 401 Unauthorized/);
  });
});
