/**
 * `capstan advise` over SSH on throwaway nodes: a K3s server layout (directories and unit
 * file only, no K3s binary: the advisor's probes only look) on server1, a bare agent1.
 * server1 gets a CPU quota of 3% of a CPU (small enough to be had however crowded the
 * build machine is, with a high CPU weight) and a bounded busy loop (`timeout`): it is hot
 * while taking next to nothing from the machine. The loop runs at the lowest priority (nice
 * 19), so that sshd and the advisor's probes, under the same quota, go first: hot all the
 * same, and the run takes a quarter less. agent1 stays idle.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import Docker from 'dockerode';
import { dockerSkipReason, startNodes, type NodeSet } from '../../src/testing/index.ts';
import type { AdviseReport } from '../../src/advise/report.ts';
import { helmChart, monitoringVars } from '@capstan/helm-monitoring';
import { Secret } from '../../src/index.ts';

const skip = await dockerSkipReason();
const root = new URL('../..', import.meta.url).pathname;

function capstan(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(root, 'bin/capstan.js'), args, { env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

/** What a stage 1 server looks like to read-only probes; the server dir is root-only, as K3s makes it. */
const FAKE_K3S_SERVER = [
  'mkdir -p /var/lib/rancher/k3s/server/db /var/lib/rancher/k3s/server/manifests',
  'touch /var/lib/rancher/k3s/server/db/state.db /etc/systemd/system/k3s.service',
  'chmod 700 /var/lib/rancher/k3s/server',
].join(' && ');

describe('capstan advise on throwaway nodes', { skip }, () => {
  let set: NodeSet;
  let inventory: string;
  before(async () => {
    set = await startNodes({ groups: { server: 1, agent: 1 } });
    inventory = await set.writeInventory(join(set.workDir, 'inventory.yml'));
    const prep = await set.exec('server1', ['sh', '-c', FAKE_K3S_SERVER]);
    assert.equal(prep.exitCode, 0, prep.stderr);
  });
  after(async () => set?.destroy());

  it('sees the busy server as hot, the idle agent below 70%, and recommends stage 3', async () => {
    // 3% of a CPU: a quota the node gets even when the build machine is crowded.
    const container = new Docker().getContainer(set.node('server1').containerId);
    await container.update({ CpuPeriod: 100_000, CpuQuota: 3_000, CpuShares: 10_240 });
    const busy = await set.exec('server1', ['sh', '-c', 'setsid timeout 60 nice -n 19 sh -c "while :; do :; done" </dev/null >/dev/null 2>&1 &']);
    assert.equal(busy.exitCode, 0, busy.stderr);
    try {
      const run = await capstan(['advise', '-i', inventory, '--sample-seconds', '4', '--json']);
      assert.equal(run.code, 0, run.stderr);
      const r = JSON.parse(run.stdout) as AdviseReport;
      const byName = new Map(r.nodes.map((n) => [n.name, n]));
      const hot = byName.get('server1')?.metrics?.cpu;
      const idle = byName.get('agent1')?.metrics?.cpu;
      assert.equal(hot?.source, 'cgroup', 'a container node is measured against its own quota');
      assert.ok((hot?.average ?? 0) > 80, `server1 CPU ${hot?.average}`);
      assert.ok((idle?.average ?? 100) < 70, `agent1 CPU ${idle?.average}`);
      assert.deepEqual(r.advice.nodes.map((n) => [n.name, n.pressure]), [['server1', 'hot'], ['agent1', 'ok']]);
      assert.deepEqual(byName.get('server1')?.k3s, { role: 'server', datastore: 'sqlite', active: false, monitoringManifests: [], dataDirReadable: true });
      assert.equal(byName.get('agent1')?.k3s?.role, null);
      assert.equal(r.advice.current, 1);
      assert.equal(r.advice.target, 3);
      assert.equal(r.advice.plan[0]?.playbook, 'playbooks/stage3-multi-node.ts');
      assert.match(r.advice.reasons.join('\n'), /server1: CPU \d+\.\d% on average over \d+ s \(above 80%\)/);
      assert.match(r.advice.notes.join('\n'), /group agent lists agent1 without a K3s agent installed/);
    } finally {
      await set.exec('server1', ['sh', '-c', 'pkill -f "while :; do :; done" || true']);
      await container.update({ CpuQuota: -1, CpuShares: 1024 });
    }
  });

  it('a monitoring stack without receivers: alerts go nowhere; an etcd server whose config sends snapshots to S3 is off-site', async () => {
    const kps = (receivers: unknown[]) => helmChart(monitoringVars.parse({ grafana: { admin_password: new Secret('x') }, alerting: { receivers } }), 'kps').text;
    const manifest = '/var/lib/rancher/k3s/server/manifests/monitoring-kube-prometheus-stack.yaml';
    const put = async (text: string) => assert.equal((await set.exec('server1', ['sh', '-c', `cat > ${manifest}`], { stdin: text })).exitCode, 0);
    const advise = async () => {
      const run = await capstan(['advise', '-i', inventory, '--sample-seconds', '1', '--json']);
      assert.equal(run.code, 0, run.stderr);
      return JSON.parse(run.stdout) as AdviseReport;
    };
    try {
      await put(kps([]));
      const none = await advise();
      assert.equal(none.nodes.find((n) => n.name === 'server1')?.k3s?.alertReceivers, false);
      assert.match(none.advice.notes.join('\n'), /^alerts go nowhere: the monitoring stack has no alert receivers/m);
      await put(kps([{ type: 'webhook', name: 'ops', url: 'https://hooks.example.net/k3s' }]));
      const some = await advise();
      assert.equal(some.nodes.find((n) => n.name === 'server1')?.k3s?.alertReceivers, true);
      assert.doesNotMatch(some.advice.notes.join('\n'), /alerts go nowhere/);
      const etcd = await set.exec('server1', ['sh', '-c', 'mkdir -p /var/lib/rancher/k3s/server/db/etcd /etc/rancher/k3s && printf "cluster-init: true\\netcd-s3: true\\n" > /etc/rancher/k3s/config.yaml && chmod 600 /etc/rancher/k3s/config.yaml']);
      assert.equal(etcd.exitCode, 0, etcd.stderr);
      assert.deepEqual((await advise()).nodes.find((n) => n.name === 'server1')?.k3s?.offsiteSnapshots, ['s3']);
    } finally {
      await set.exec('server1', ['sh', '-c', `rm -rf ${manifest} /var/lib/rancher/k3s/server/db/etcd /etc/rancher/k3s/config.yaml`]);
    }
  });

  it('the probes write nothing on the hosts', async () => {
    const before = await set.snapshotFs('agent1');
    const run = await capstan(['advise', '-i', inventory, '--sample-seconds', '1', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const { diffSnapshots, isEmptyDiff, formatDiff } = await import('../../src/testing/index.ts');
    const d = diffSnapshots(before, await set.snapshotFs('agent1'));
    assert.ok(isEmptyDiff(d), formatDiff(d));
  });

  it('a host whose sudo wants a password it was not given is failed, with sudo\'s reason, exit code 2', async () => {
    await set.setSudo('agent1', 'not-in-the-inventory');
    try {
      const run = await capstan(['advise', '-i', inventory, '--sample-seconds', '1', '--json']);
      assert.equal(run.code, 2, run.stdout + run.stderr);
      const r = JSON.parse(run.stdout) as AdviseReport;
      const agent = r.nodes.find((n) => n.name === 'agent1');
      assert.equal(agent?.status, 'failed');
      assert.match(agent?.message ?? '', /password/);
      assert.equal(r.advice.partial, true);
      assert.equal(r.advice.current, 1, 'the server was still measured');
    } finally {
      await set.setSudo('agent1');
    }
  });

  it('an agent that is down is reported unreachable, the advice is partial, exit code 4', async () => {
    await set.stop('agent1', { kill: true });
    const run = await capstan(['advise', '-i', inventory, '--sample-seconds', '1', '--connect-timeout', '3']);
    assert.equal(run.code, 4, run.stdout + run.stderr);
    assert.match(run.stdout, /^agent1\s+agent\s+unreachable/m);
    assert.match(run.stdout, /^Stage now: {2}1 single K3s node$/m);
    assert.match(run.stdout, /advice is partial: agent1 is unreachable; it rests on 1 of 2 hosts/);
  });
});
