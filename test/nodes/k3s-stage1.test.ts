import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { comparePredictions, diffSnapshots, dockerSkipReason, formatDiff, isEmptyDiff, runScenario, startNodes, type NodeSet } from '../../src/testing/index.ts';
import stage1 from '../../playbooks/stage1-single-node.ts';
import { buildTestDoubleAirgap } from '../k3s-double/airgap-test-double.ts';
import { runOnce } from '../k3s-double/run-playbook.ts';

const skip = await dockerSkipReason();
const V1 = 'v1.32.11+k3s3';
const V2 = 'v1.32.12+k3s1';

/** A kubeconfig already on the controller, with another cluster the run must not disturb. */
const OTHER_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
  - name: other
    cluster: { server: https://other.example:6443 }
users:
  - name: other
    user: { token: other-token-value }
contexts:
  - name: other
    context: { cluster: other, user: other }
current-context: other
`;

describe('stage 1: k3s-server on one node, installed from an air-gap dir holding the K3s TEST DOUBLE', { skip }, () => {
  let set: NodeSet | undefined;
  after(async () => set?.destroy());

  it('check predicts and touches nothing, apply converges, apply and check again change nothing', async () => {
    set = await startNodes({ groups: { server: 1 }, withPython: true });
    const nodes = set;
    const airgap = await buildTestDoubleAirgap(join(nodes.workDir, 'airgap-test-double-1'), V1);
    const kubeconfig = join(nodes.workDir, 'kube', 'k3s.yaml');
    await mkdir(join(nodes.workDir, 'kube'), { recursive: true });
    await writeFile(kubeconfig, OTHER_KUBECONFIG, { mode: 0o600 });
    const manifest = join(nodes.workDir, 'team-namespace.yaml');
    await writeFile(manifest, 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n');
    const report = await runScenario({
      playbook: stage1, nodes,
      extraVars: { airgap_dir: airgap, k3s_version: V1, fetch_kubeconfig: { dest: kubeconfig, context: 'lab' }, extra_manifests: [manifest] },
      verify: async () => {
        const sh = async (script: string) => (await nodes.exec('server1', ['sh', '-c', script])).stdout.trim();
        assert.equal(await sh('stat -c %a /etc/rancher/k3s/config.yaml'), '600');
        assert.equal(await sh('systemctl is-active k3s'), 'active');
        assert.equal(await sh('stat -c %a /etc/rancher/k3s/k3s.yaml /var/lib/rancher/k3s/server/node-token'), '600\n600');
        assert.match(await sh('/usr/local/bin/k3s --version'), /^k3s version v1\.32\.11\+k3s3 \(test-double\)/);
        assert.match(await sh('cat /etc/systemd/system/k3s.service'), /ExecStart=\/usr\/local\/bin\/k3s server/);
        assert.equal(await sh('stat -c %a /etc/systemd/system/k3s.service.env'), '600');
        assert.equal(await sh('ls /var/lib/rancher/k3s/agent/images'), 'k3s-airgap-images-test-double.tar');
        assert.equal(await sh('/usr/local/bin/k3s kubectl get --raw=/readyz'), 'ok');
        assert.equal(await sh('stat -c %a /var/lib/rancher/k3s/server/manifests/team-namespace.yaml'), '600');
        assert.equal(await sh('sysctl -n net.ipv4.ip_forward'), '1', 'the prerequisites play enabled forwarding');
        const local = await stat(kubeconfig);
        assert.equal(local.mode & 0o777, 0o600);
        const cfg = parse(await readFile(kubeconfig, 'utf8')) as { 'current-context': string; clusters: { name: string; cluster: { server: string } }[]; contexts: { name: string }[] };
        assert.equal(cfg['current-context'], 'lab');
        assert.equal(cfg.clusters.find((c) => c.name === 'lab')?.cluster.server, `https://${nodes.node('server1').address}:6443`);
        assert.deepEqual(cfg.contexts.map((c) => c.name), ['other', 'lab'], 'the context already in the file is kept');
        assert.equal(cfg.clusters.find((c) => c.name === 'other')?.cluster.server, 'https://other.example:6443');
      },
    });
    const restarts = report.apply.events.filter((e) => e.type === 'host.step' && e.handler && e.result.status === 'changed');
    assert.equal(restarts.length, 1, 'the fresh install starts K3s once');
    assert.equal(report.applyAgain.recap.hosts.server1?.changed, 0);
  });

  it('a version bump (a second test-double binary) is predicted by check and restarts K3s exactly once; so does a registries change; a downgrade or token change is refused', async () => {
    assert.ok(set, 'the first test started the node');
    const nodes = set;
    const airgap2 = await buildTestDoubleAirgap(join(nodes.workDir, 'airgap-test-double-2'), V2);
    const starts = async () => (await nodes.exec('server1', ['sh', '-c', 'grep -c server /var/lib/rancher/k3s/test-double-starts.log'])).stdout.trim();
    const before = Number(await starts());
    const vars = { airgap_dir: airgap2, k3s_version: V2, fetch_kubeconfig: false };
    const fsBefore = await nodes.snapshotFs('server1');
    const predicted = await runOnce(nodes, stage1, vars, true);
    const fsDiff = diffSnapshots(fsBefore, await nodes.snapshotFs('server1'));
    assert.ok(isEmptyDiff(fsDiff), formatDiff(fsDiff));
    assert.equal(predicted.recap.exitCode, 0);
    assert.ok(predicted.steps.some((s) => s.handler && s.step === 'restart k3s' && s.result.status === 'changed'), 'check predicts the restart');
    const bump = await runOnce(nodes, stage1, vars);
    assert.deepEqual(comparePredictions(predicted.events, bump.events), []);
    assert.equal(bump.recap.exitCode, 0, bump.steps.filter((s) => s.result.status === 'failed').map((s) => s.result.msg).join('\n'));
    const restarts = bump.steps.filter((s) => s.handler && s.result.status === 'changed');
    assert.deepEqual(restarts.map((s) => s.step), ['restart k3s']);
    assert.equal(Number(await starts()), before + 1);
    const running = await nodes.exec('server1', ['/usr/local/bin/k3s', 'kubectl', 'get', 'node', 'server1', '-o', 'jsonpath={.status.nodeInfo.kubeletVersion}']);
    assert.equal(running.stdout.trim(), V2);
    const again = await runOnce(nodes, stage1, vars);
    assert.equal(again.recap.hosts.server1?.changed, 0);

    const mirrors = 'mirrors:\n  docker.io:\n    endpoint:\n      - "https://registry.example.lan:5000"\n';
    const reg = await runOnce(nodes, stage1, { ...vars, registries_yaml: mirrors });
    // K3s is not Ready at once after a restart (the double waits its ready delay, as K3s does): the readiness step
    // after the restart may have had to wait, and reports that wait as its change. Nothing else changes.
    const regChanged = reg.steps.filter((s) => s.result.status === 'changed').map((s) => s.step);
    assert.deepEqual(regChanged.filter((s) => s !== 'K3s API ready and node Ready'), ['K3s registries.yaml', 'restart k3s']);
    assert.ok(regChanged.indexOf('K3s API ready and node Ready') === -1 || regChanged.indexOf('K3s API ready and node Ready') > regChanged.indexOf('restart k3s'), regChanged.join(', '));
    assert.equal(Number(await starts()), before + 2, 'a registries.yaml change restarts K3s once');
    assert.equal((await runOnce(nodes, stage1, { ...vars, registries_yaml: mirrors })).recap.hosts.server1?.changed, 0);

    const airgap1 = join(nodes.workDir, 'airgap-test-double-1');
    const down = await runOnce(nodes, stage1, { airgap_dir: airgap1, k3s_version: V1, fetch_kubeconfig: false });
    assert.notEqual(down.recap.exitCode, 0);
    const guard = down.steps.find((s) => s.step === 'refuse a K3s downgrade');
    assert.match(guard?.result.msg ?? '', /refusing to downgrade K3s from v1\.32\.12\+k3s1 to v1\.32\.11\+k3s3; set allow_downgrade/);
    assert.equal(Number(await starts()), before + 2, 'a refused downgrade restarts nothing');

    const other = await runOnce(nodes, stage1, { ...vars, token: 'not-the-token-this-server-has' });
    assert.notEqual(other.recap.exitCode, 0);
    const tokenGuard = other.steps.find((s) => s.step === 'refuse a token change on existing data');
    assert.match(tokenGuard?.result.msg ?? '', /the token differs from the one \/var\/lib\/rancher\/k3s\/server\/token was created with/);
    assert.ok(!JSON.stringify(other.events).includes('not-the-token-this-server-has'));
    assert.equal(Number(await starts()), before + 2, 'a refused token change restarts nothing');
  });
  it('config.yaml as K3s reads it: an unchecked unknown key is logged and skipped, a value of the wrong type stops K3s with the flag\'s error in the step', async () => {
    assert.ok(set, 'the first test started the node');
    const nodes = set;
    const vars = { airgap_dir: join(nodes.workDir, 'airgap-test-double-2'), k3s_version: V2, fetch_kubeconfig: false };
    const journal = async () => (await nodes.exec('server1', ['sh', '-c', 'journalctl -u k3s -o cat --no-pager'])).stdout;
    const unknown = await runOnce(nodes, stage1, { ...vars, extra_config: { 'etcd-snapshot-retntion': 10 }, unchecked_config_keys: ['etcd-snapshot-retntion'] });
    assert.equal(unknown.recap.exitCode, 0, unknown.steps.filter((s) => s.result.status === 'failed').map((s) => s.result.msg).join('\n'));
    assert.match(await journal(), /Unknown flag --etcd-snapshot-retntion found in config\.yaml, skipping/);

    const badType = await runOnce(nodes, stage1, { ...vars, ready_timeout_s: 5, extra_config: { 'etcd-snapshot-retention': 'five' }, unchecked_config_keys: ['etcd-snapshot-retention'] });
    assert.notEqual(badType.recap.exitCode, 0);
    const failed = badType.steps.filter((s) => s.result.status === 'failed');
    assert.deepEqual(failed.map((s) => s.step), ['restart k3s']);
    assert.match(failed[0]?.result.msg ?? '', /invalid value \\"five\\" for flag -etcd-snapshot-retention: parse error/);
  });

  it('a slower K3s (Ready 45 s after each start): a short ready_timeout_s fails with what was not ready, a longer one waits it out', async () => {
    assert.ok(set, 'the first test started the node');
    const nodes = set;
    const slow = await buildTestDoubleAirgap(join(nodes.workDir, 'airgap-test-double-slow'), V2, { readyDelayS: 45 });
    const vars = { airgap_dir: slow, k3s_version: V2, fetch_kubeconfig: false };
    const short = await runOnce(nodes, stage1, { ...vars, ready_timeout_s: 5 });
    assert.notEqual(short.recap.exitCode, 0);
    const failed = short.steps.filter((s) => s.result.status === 'failed');
    assert.deepEqual(failed.map((s) => s.step), ['K3s API ready and node Ready']);
    assert.match(failed[0]?.result.msg ?? '', /node server1 not ready at v1\.32\.12\+k3s1 after 5s \(Ready=False, version=v1\.32\.12\+k3s1\)/);
    // a config change restarts K3s again, so this run has to wait out the whole delay
    const long = await runOnce(nodes, stage1, { ...vars, ready_timeout_s: 180, extra_config: { 'etcd-snapshot-retention': 7 } });
    assert.equal(long.recap.exitCode, 0, long.steps.filter((s) => s.result.status === 'failed').map((s) => s.result.msg).join('\n'));
    assert.ok(long.steps.some((s) => s.step === 'restart k3s' && s.result.status === 'changed'));
    const waited = long.steps.find((s) => s.step === 'K3s API ready and node Ready')?.result;
    assert.equal(waited?.status, 'changed', 'the run waited for readiness');
    assert.ok((waited?.durationMs ?? 0) >= 30_000, `readiness came no sooner than the double's delay (waited ${waited?.durationMs} ms)`);
    assert.equal((await nodes.exec('server1', ['/usr/local/bin/k3s', 'kubectl', 'get', '--raw=/readyz'])).stdout.trim(), 'ok');
  });
});
