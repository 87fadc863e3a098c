/**
 * HA at install time (K3s TEST DOUBLE, air-gap path): stage 3 on an inventory with three servers
 * makes ONE cluster on embedded etcd, the first server with cluster-init and the others joining it
 * one at a time; an even number of servers is refused before anything connects; a server group
 * whose first server already runs SQLite is refused, pointing at stage 4. The cluster runs with a
 * non-default data directory (k3s_data_dir) that every role follows, and kubectl set up for the
 * login user on the servers (user_kubectl).
 *
 *   node --import tsx --test test/nodes/k3s-ha-install.test.ts
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ConfigError, type Playbook } from '../../src/index.ts';
import { connectorFactory } from '../../src/cli/connectors.ts';
import { runPlaybook } from '../../src/engine/run.ts';
import type { Recap, RunEvent } from '../../src/events.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import { dockerSkipReason, runScenario, startNodes, type NodeSet } from '../../src/testing/index.ts';
import stage1 from '../../playbooks/stage1-single-node.ts';
import stage3 from '../../playbooks/stage3-multi-node.ts';
import restore from '../../playbooks/restore-etcd.ts';
import { buildTestDoubleAirgap } from '../k3s-double/airgap-test-double.ts';
import { waitFor } from '../support/wait.ts';

const skip = await dockerSkipReason();
const V1 = 'v1.32.11+k3s3';
const DATA = '/srv/k3s-data';
const MEMBERS = `${DATA}/server/db/etcd/member/test-double-members.json`;

/** A kubeconfig already on the controller, with another cluster the run must not disturb. */
const OTHER_KUBECONFIG = 'apiVersion: v1\nkind: Config\nclusters:\n  - name: other\n    cluster: { server: https://other.example:6443 }\n'
  + 'users:\n  - name: other\n    user: { token: other-token-value }\ncontexts:\n  - name: other\n    context: { cluster: other, user: other }\ncurrent-context: other\n';

type Step = Extract<RunEvent, { type: 'host.step' }>;
interface Run { recap: Recap; events: RunEvent[]; steps: Step[] }

async function run(inventory: string, playbook: Playbook, extraVars: Record<string, unknown>, limit?: string): Promise<Run> {
  const events: RunEvent[] = [];
  const recap = await runPlaybook(playbook, await loadInventoryView([inventory]), {
    check: false, diff: false, forks: 20, tags: [], skipTags: [], extraVars, playbookId: 'k3s-ha-install', connectorFactory: connectorFactory({}), ...(limit ? { limit } : {}),
  }, (e) => events.push(e));
  return { recap, events, steps: events.filter((e): e is Step => e.type === 'host.step') };
}

const failures = (r: Run) => r.steps.filter((s) => s.result.status === 'failed').map((s) => `${s.host}: ${s.step}: ${s.result.msg ?? ''}`).join('\n');

/** The set's inventory with only `keep` left in group server. */
async function withServers(set: NodeSet, keep: string[]): Promise<string> {
  const path = await set.writeInventory(join(set.workDir, 'ha-inventory.yml'));
  const inv = parse(await readFile(path, 'utf8')) as { all: { children: Record<string, { hosts: Record<string, null> }> } };
  inv.all.children.server = { hosts: Object.fromEntries(keep.map((h) => [h, null])) };
  const out = join(set.workDir, `ha-inventory-${keep.length}-servers.yml`);
  await writeFile(out, stringify(inv, { nullStr: '' }));
  return out;
}

describe('HA at install time: three servers, one embedded-etcd cluster (K3s TEST DOUBLE)', { skip }, () => {
  let set: NodeSet | undefined;
  let airgap = '';
  after(async () => set?.destroy());
  const sh = async (host: string, script: string) => (await set!.exec(host, ['sh', '-c', script])).stdout.trim();

  it('two servers in group server are refused before anything connects, naming the group and the count', async () => {
    set = await startNodes({ groups: { server: 3, agent: 1 }, withPython: true });
    airgap = await buildTestDoubleAirgap(join(set.workDir, 'airgap-test-double'), V1);
    const inventory = await withServers(set, ['server1', 'server2']);
    await assert.rejects(run(inventory, stage3, { airgap_dir: airgap, k3s_version: V1, fetch_kubeconfig: false }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /role k3s-server: group "server" has 2 servers \(server1, server2\); embedded etcd needs an odd number of servers \(1, 3, 5, \.\.\.\)/);
      return true;
    });
    for (const h of ['server1', 'server2', 'agent1']) assert.equal(await sh(h, 'test -e /usr/local/bin/k3s && echo installed || echo absent'), 'absent', h);
  });

  it('a first server already on SQLite is not converted by stage 3: refused, pointing at stage 4, nothing changed', async () => {
    assert.ok(set);
    const single = await run(await withServers(set, ['server1']), stage1, { airgap_dir: airgap, k3s_version: V1, fetch_kubeconfig: false });
    assert.equal(single.recap.exitCode, 0, failures(single));
    assert.equal(await sh('server1', 'test -f /var/lib/rancher/k3s/server/db/state.db && echo sqlite'), 'sqlite');
    const config = await sh('server1', 'sha256sum /etc/rancher/k3s/config.yaml');
    const r = await run(await withServers(set, ['server1', 'server2', 'server3']), stage3, { airgap_dir: airgap, k3s_version: V1, fetch_kubeconfig: false });
    assert.notEqual(r.recap.exitCode, 0);
    const refused = r.steps.find((s) => s.result.status === 'failed');
    assert.equal(refused?.host, 'server1');
    assert.match(refused?.result.msg ?? '', /server1 already runs a cluster on SQLite \(\/var\/lib\/rancher\/k3s\/server\/db\/state\.db\) and group "server" now lists 3 servers \(server1, server2, server3\): converting it to embedded etcd is stage 4 \(playbooks\/stage4-ha\.ts/);
    assert.deepEqual(r.steps.filter((s) => s.host === 'server1' && s.result.status === 'changed').map((s) => s.step), []);
    assert.equal(await sh('server1', 'sha256sum /etc/rancher/k3s/config.yaml'), config);
    for (const h of ['server2', 'server3', 'agent1']) assert.equal(await sh(h, 'test -e /usr/local/bin/k3s && echo installed || echo absent'), 'absent', h);
    // back to a fresh node for the HA install (K3s's own uninstall script)
    assert.match(await sh('server1', '/usr/local/bin/k3s-uninstall.sh >/dev/null 2>&1; test -e /var/lib/rancher/k3s && echo left || echo gone'), /gone/);
  });

  it('stage 3 on three servers: one cluster, servers joined in order, every role under the data directory, kubectl for the login user, the kubeconfig merged under cluster_context; check, apply, apply, check', async () => {
    assert.ok(set);
    const nodes = set;
    const kubeconfig = join(nodes.workDir, 'kube', 'config');
    await mkdir(join(nodes.workDir, 'kube'), { recursive: true });
    await writeFile(kubeconfig, OTHER_KUBECONFIG, { mode: 0o600 });
    const report = await runScenario({
      playbook: stage3, nodes,
      // k3s-ansible's names: kubeconfig, cluster_context, user_kubectl, k3s_server_location
      extraVars: { airgap_dir: airgap, k3s_version: V1, kubeconfig, cluster_context: 'ha-lab', k3s_server_location: DATA, user_kubectl: true },
      verify: async () => {
        const local = parse(await readFile(kubeconfig, 'utf8')) as { 'current-context': string; clusters: { name: string; cluster: { server: string } }[]; contexts: { name: string }[] };
        assert.deepEqual(local.contexts.map((c) => c.name).sort(), ['ha-lab', 'other'], 'the other cluster\'s context is left as it was');
        assert.equal(local['current-context'], 'ha-lab');
        assert.equal(local.clusters.find((c) => c.name === 'ha-lab')?.cluster.server, `https://${nodes.nodes.find((n) => n.name === 'server1')?.address}:6443`);
        const members = (JSON.parse(await sh('server1', `cat ${MEMBERS}`)) as { name: string }[]).map((m) => m.name);
        assert.deepEqual(members, ['server1', 'server2', 'server3'], 'one etcd cluster: the first server, then the others in inventory order');
        for (const h of ['server2', 'server3']) {
          assert.equal(await sh(h, `test -e ${DATA}/server/db/etcd/member/test-double-join.json && echo joined`), 'joined', `${h} joined server1's cluster (no cluster of its own)`);
          assert.equal(await sh(h, `test -e ${MEMBERS} && echo own-cluster || echo none`), 'none');
        }
        const etcd = await sh('server1', '/usr/local/bin/k3s kubectl get nodes -l node-role.kubernetes.io/etcd=true -o name');
        assert.equal(etcd, 'node/server1\nnode/server2\nnode/server3');
        const all = await sh('server1', '/usr/local/bin/k3s kubectl get nodes');
        for (const n of ['server1', 'server2', 'server3', 'agent1']) assert.match(all, new RegExp(`^${n}\\s+Ready\\s`, 'm'));
        for (const h of ['server1', 'server2', 'server3', 'agent1']) {
          assert.equal(await sh(h, 'test -e /var/lib/rancher/k3s && echo default-dir-used || echo none'), 'none', `${h}: nothing under K3s's default data directory`);
          assert.match(await sh(h, 'cat /etc/rancher/k3s/config.yaml'), new RegExp(`^data-dir: ${DATA}$`, 'm'));
          assert.equal(await sh(h, `ls ${DATA}/agent/images`), 'k3s-airgap-images-test-double.tar');
        }
        for (const h of ['server1', 'server2', 'server3']) {
          assert.equal(await sh(h, `stat -c %a ${DATA}/server/node-token`), '600');
          assert.equal(await sh(h, `stat -c '%U %a' /home/${nodes.user}/.kube/config`), `${nodes.user} 600`);
          const asUser = await nodes.exec(h, ['su', '-', nodes.user, '-c', 'bash -ic "kubectl get nodes -o name" 2>/dev/null']);
          assert.equal(asUser.stdout.trim().split('\n').filter((l) => l.startsWith('node/')).sort().join(' '), 'node/agent1 node/server1 node/server2 node/server3', `${h}: the login user runs kubectl`);
        }
        const withoutConfig = await nodes.exec('server1', ['su', '-', nodes.user, '-c', 'env -u KUBECONFIG kubectl get nodes']);
        assert.notEqual(withoutConfig.exitCode, 0, 'without its kubeconfig the user cannot read the admin kubeconfig, as with K3s');
        assert.match(withoutConfig.stderr, /Unable to read \/etc\/rancher\/k3s\/k3s\.yaml/);
      },
    });
    const applied = report.apply.events.filter((e): e is Step => e.type === 'host.step');
    const at = (host: string, step: string) => applied.findIndex((s) => s.host === host && s.step === step);
    assert.equal(applied.find((s) => s.host === 'server2' && s.step === 'etcd member and Ready on server1')?.result.status !== 'failed', true);
    assert.ok(at('server1', 'K3s API ready and node Ready') < at('server2', 'K3s config.yaml'), 'server2 is configured only once server1 is ready');
    assert.ok(at('server2', 'etcd member and Ready on server1') < at('server3', 'K3s config.yaml'), 'server3 joins only once server2 is an etcd member and Ready');
    assert.ok(at('server3', 'etcd member and Ready on server1') < at('agent1', 'K3s agent config.yaml'), 'the agents come after every server');
  });

  it('a snapshot and a restore follow the data directory too', async () => {
    assert.ok(set);
    const nodes = set;
    const inventory = await nodes.writeInventory(join(nodes.workDir, 'restore-inventory.yml'));
    const saved = await nodes.exec('server1', ['/usr/local/bin/k3s', 'etcd-snapshot', 'save', '--name', 'before-change']);
    assert.equal(saved.exitCode, 0, saved.stderr);
    const snapshot = await sh('server1', `ls ${DATA}/server/db/snapshots | grep ^before-change-`);
    assert.match(snapshot, /^before-change-server1-\d+$/);
    assert.equal((await nodes.exec('server1', ['/usr/local/bin/k3s', 'kubectl', 'create', 'namespace', 'after-snapshot'])).exitCode, 0);
    const r = await run(inventory, restore, { confirm_restore: 'yes', snapshot, k3s_data_dir: DATA });
    assert.equal(r.recap.exitCode, 0, failures(r));
    const names = async () => sh('server1', '/usr/local/bin/k3s kubectl get namespaces -A -o name');
    assert.doesNotMatch(await names(), /after-snapshot/, 'the namespace created after the snapshot is gone');
    for (const h of ['server2', 'server3']) assert.equal(await sh(h, `ls -d ${DATA}/server/db.pre-restore-* | wc -l`), '1', `${h}: its etcd data moved aside under the data directory`);
    const members = async () => sh('server1', '/usr/local/bin/k3s kubectl get nodes -l node-role.kubernetes.io/etcd=true -o name');
    await waitFor('the three etcd members to be back', async () => (await members()) === 'node/server1\nnode/server2\nnode/server3', { timeoutMs: 60_000, intervalMs: 500 });
    assert.equal(await sh('server1', 'test -e /var/lib/rancher/k3s && echo default-dir-used || echo none'), 'none');
  });
});
