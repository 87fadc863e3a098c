/**
 * playbooks/upgrade.ts and playbooks/reset.ts on a one-server, one-agent cluster (K3s TEST
 * DOUBLE, air-gap path: two air-gap directories, one per version).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../../src/index.ts';
import { dockerSkipReason, runScenario, startNodes, type NodeSet } from '../../src/testing/index.ts';
import reset from '../../playbooks/reset.ts';
import stage3 from '../../playbooks/stage3-multi-node.ts';
import upgrade from '../../playbooks/upgrade.ts';
import { buildTestDoubleAirgap } from '../k3s-double/airgap-test-double.ts';
import { runOnce, type StepEvent } from '../k3s-double/run-playbook.ts';

const skip = await dockerSkipReason();
const V1 = 'v1.32.11+k3s3';
const V2 = 'v1.32.12+k3s1';
/** Files the running K3s test double rewrites by itself (heartbeats), and logs. */
const MOVING = ['/var/lib/rancher/k3s/server/test-double-nodes.json', '/var/log', '/var/lib/systemd'];
const OTHER_CONTEXT = 'apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster: {server: "https://prod.example:6443"}\nusers:\n- name: prod\n  user: {token: prod-token}\ncontexts:\n- name: prod\n  context: {cluster: prod, user: prod}\ncurrent-context: prod\n';

const failures = (steps: StepEvent[]) => steps.filter((s) => s.result.status === 'failed').map((s) => `${s.host}: ${s.step}: ${s.result.msg ?? ''}`).join('\n');
const stepsOf = (events: { type: string }[]) => events.filter((e): e is StepEvent => e.type === 'host.step');

describe('upgrade and reset of a server and an agent (K3s TEST DOUBLE, air-gap path)', { skip }, () => {
  let set: NodeSet | undefined;
  const dirs: Record<string, string> = {};
  let kubeconfig = '';
  after(async () => set?.destroy());
  const k = (...args: string[]) => set!.exec('server1', ['/usr/local/bin/k3s', 'kubectl', ...args]);
  const versions = async () => JSON.parse((await k('get', 'nodes', '-o', 'json')).stdout).items.map((n: { metadata: { name: string }; status: { nodeInfo: { kubeletVersion: string } } }) => `${n.metadata.name}=${n.status.nodeInfo.kubeletVersion}`).sort() as string[];

  it(`upgrade ${V1} → ${V2}: check shows the plan; the server, then the agent (drained, uncordoned) restart on the new binary; again: zero changes`, async () => {
    set = await startNodes({ groups: { server: 1, agent: 1 }, withPython: true });
    const nodes = set;
    dirs[V1] = await buildTestDoubleAirgap(join(nodes.workDir, 'airgap-v1'), V1);
    dirs[V2] = await buildTestDoubleAirgap(join(nodes.workDir, 'airgap-v2'), V2);
    kubeconfig = join(nodes.workDir, 'kube-config');
    await writeFile(kubeconfig, OTHER_CONTEXT, { mode: 0o600 });
    const install = await runOnce(nodes, stage3, { airgap_dir: dirs[V1], k3s_version: V1, fetch_kubeconfig: { dest: kubeconfig, context: 'lab-k3s' } });
    assert.equal(install.recap.exitCode, 0, failures(install.steps));
    assert.deepEqual(await versions(), [`agent1=${V1}`, `server1=${V1}`]);
    const units = (await nodes.exec('server1', ['sha256sum', '/etc/systemd/system/k3s.service', '/etc/systemd/system/k3s.service.env'])).stdout;

    const report = await runScenario({
      playbook: upgrade, nodes, snapshotExclude: MOVING,
      extraVars: { airgap_dir: dirs[V2], k3s_version: V2, upgrade_drain: 'true', ready_timeout_s: 120 },
      verify: async () => {
        assert.deepEqual(await versions(), [`agent1=${V2}`, `server1=${V2}`]);
        for (const [h, u] of [['server1', 'k3s'], ['agent1', 'k3s-agent']] as const) {
          assert.equal((await nodes.exec(h, ['systemctl', 'is-active', u])).stdout.trim(), 'active');
          assert.match((await nodes.exec(h, ['/usr/local/bin/k3s', '--version'])).stdout, new RegExp(`^k3s version ${V2.replace('+', '\\+')} `));
        }
        const agent = JSON.parse((await k('get', 'node', 'agent1', '-o', 'json')).stdout) as { spec: { unschedulable?: boolean }; metadata: { labels: Record<string, string> } };
        assert.equal(agent.spec.unschedulable, undefined, 'agent1 is uncordoned');
        assert.equal(agent.metadata.labels['capstan.io/upgrade-drained'], undefined);
      },
    });
    const plan = stepsOf(report.check.events).find((s) => s.step === `upgrade plan to ${V2}`);
    assert.equal(plan?.result.reason, `upgrade to ${V2}, servers one at a time, then agents in batches of 5\n1. server1 (server) ${V1} → ${V2}\n2. agents agent1 ${V1} → ${V2}`);
    const applied = stepsOf(report.apply.events).filter((s) => s.result.status === 'changed').map((s) => `${s.host}: ${s.step}`);
    const at = (x: string) => { const i = applied.indexOf(x); assert.ok(i >= 0, `${x} in ${applied.join('\n')}`); return i; };
    assert.ok(at(`server1: restart k3s onto ${V2}`) < at('agent1: drain the node (kubectl on server1)'), 'the server restarts before the agent is touched');
    assert.ok(at('agent1: drain the node (kubectl on server1)') < at(`agent1: restart k3s-agent onto ${V2}`));
    assert.ok(at(`agent1: restart k3s-agent onto ${V2}`) < at('agent1: uncordon the node (kubectl on server1)'));
    assert.equal((await nodes.exec('server1', ['sha256sum', '/etc/systemd/system/k3s.service', '/etc/systemd/system/k3s.service.env'])).stdout, units, 'the unit and its env file are as the install left them');
  });

  it(`a downgrade to ${V1} is refused before any host changes, under --check and on apply`, async () => {
    const nodes = set!;
    for (const check of [true, false]) {
      const r = await runOnce(nodes, upgrade, { airgap_dir: dirs[V1], k3s_version: V1 }, check);
      assert.equal(r.recap.exitCode, 2);
      const failed = r.steps.filter((s) => s.result.status === 'failed');
      assert.deepEqual(failed.filter((s) => s.step === `upgrade plan to ${V1}`).map((s) => s.host).sort(), ['agent1', 'server1'], 'the plan refuses for every host');
      for (const f of failed) assert.match(f.result.msg ?? '', /refus/, `${f.host}: ${f.step}`);
      assert.match(failed.find((s) => s.step === `upgrade plan to ${V1}`)?.result.msg ?? '', new RegExp(`refused before any host changed: server1: refusing to downgrade K3s from ${V2.replace('+', '\\+')} to ${V1.replace('+', '\\+')} \\(K3s supports upgrades only\\); agent1: refusing to downgrade`));
      assert.deepEqual(r.steps.filter((s) => s.result.status === 'changed'), []);
    }
    assert.deepEqual(await versions(), [`agent1=${V2}`, `server1=${V2}`]);
  });

  it('reset without confirm_reset=yes is refused before any connection; the cluster runs on', async () => {
    const nodes = set!;
    await assert.rejects(runOnce(nodes, reset, {}), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.keyPath === 'confirm_reset' && /confirm_reset must be "yes"/.test(p.message)));
    assert.equal((await nodes.exec('server1', ['systemctl', 'is-active', 'k3s'])).stdout.trim(), 'active');
  });

  it('reset of the whole cluster: K3s\'s uninstall scripts on both hosts, the context leaves the controller kubeconfig, other contexts stay', async () => {
    const nodes = set!;
    const merged = parse(await readFile(kubeconfig, 'utf8')) as { contexts: { name: string }[] };
    assert.deepEqual(merged.contexts.map((c) => c.name), ['prod', 'lab-k3s'], 'the install merged its context next to the one already there');
    const report = await runScenario({
      playbook: reset, nodes, snapshotExclude: MOVING,
      extraVars: { confirm_reset: 'yes', fetch_kubeconfig: { dest: kubeconfig, context: 'lab-k3s' } },
      verify: async () => {
        for (const h of ['server1', 'agent1']) {
          const left = await nodes.exec(h, ['sh', '-c', 'ls -d /usr/local/bin/k3s* /etc/rancher/k3s /var/lib/rancher/k3s /etc/systemd/system/k3s* 2>/dev/null; true']);
          assert.equal(left.stdout, '', `${h}: nothing of K3s is left`);
        }
        const cfg = parse(await readFile(kubeconfig, 'utf8')) as { contexts: { name: string }[]; clusters: { name: string }[]; 'current-context'?: string };
        assert.deepEqual(cfg.contexts.map((c) => c.name), ['prod']);
        assert.deepEqual(cfg.clusters.map((c) => c.name), ['prod']);
        assert.equal(cfg['current-context'], undefined, 'the current context was the reset cluster\'s: none is current now');
      },
    });
    const ran = stepsOf(report.apply.events).filter((s) => s.step === 'uninstall K3s with its own script').map((s) => `${s.host}: ${s.result.summaries.join('; ')}`).sort();
    assert.deepEqual(ran, ['agent1: run /usr/local/bin/k3s-agent-uninstall.sh', 'server1: run /usr/local/bin/k3s-uninstall.sh']);
  });
});
