import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { monitoringVars, renderManifests } from '@capstan/helm-monitoring';
import { diffSnapshots, dockerSkipReason, formatDiff, isEmptyDiff, runScenario, startNodes, type NodeSet } from '../../src/testing/index.ts';
import stage1 from '../../playbooks/stage1-single-node.ts';
import stage2 from '../../playbooks/stage2-observability.ts';
import { buildTestDoubleAirgap } from '../k3s-double/airgap-test-double.ts';
import { runOnce } from '../k3s-double/run-playbook.ts';

const skip = await dockerSkipReason();
const V = 'v1.32.11+k3s3';
const CANARY = 'grafana-admin-canary-5d1e';
const MANIFESTS = '/var/lib/rancher/k3s/server/manifests';
const FILES = ['monitoring-alloy.yaml', 'monitoring-dashboards.yaml', 'monitoring-kube-prometheus-stack.yaml', 'monitoring-loki.yaml', 'monitoring-tempo.yaml', 'traefik-config.yaml'];

describe('stage 2: helm-monitoring on a K3s server (the K3s TEST DOUBLE answers as the Helm controller)', { skip }, () => {
  let set: NodeSet | undefined;
  after(async () => set?.destroy());
  const vars = { grafana: { admin_password: CANARY }, wait_timeout_s: 60 };

  it('check touches nothing and shows the diffs, apply lands the manifests 0600 and waits for the releases, a re-run changes nothing', async () => {
    set = await startNodes({ groups: { server: 1 }, withPython: true });
    const nodes = set;
    const airgap = await buildTestDoubleAirgap(join(nodes.workDir, 'airgap-test-double'), V, { helmJobS: 5 });
    const k3s = await runOnce(nodes, stage1, { airgap_dir: airgap, k3s_version: V, fetch_kubeconfig: false });
    assert.equal(k3s.recap.exitCode, 0, 'stage 1 installs the K3s test double');
    const sh = async (script: string) => (await nodes.exec('server1', ['sh', '-c', script])).stdout.trim();

    const report = await runScenario({
      playbook: stage2, nodes, extraVars: vars, engine: { diff: true },
      verify: async () => {
        assert.equal(await sh(`ls ${MANIFESTS} | grep -v '^\\.' | sort | tr '\\n' ' '`), FILES.join(' '));
        assert.equal(await sh(`stat -c '%a %U' ${FILES.map((f) => `${MANIFESTS}/${f}`).join(' ')} | sort -u`), '600 root');
        const expected = renderManifests(monitoringVars.parse(vars));
        for (const m of expected) assert.equal(await sh(`sha256sum < ${MANIFESTS}/${m.file} | cut -d ' ' -f 1`), sha256(m.text), `${m.file} is the rendered manifest`);
        assert.equal(await sh(`grep -rl ${CANARY} ${MANIFESTS} || echo none`), 'none', 'the password is in no manifest');
        const k = (args: string) => sh(`/usr/local/bin/k3s kubectl ${args}`);
        assert.equal(await k('-n kube-system get jobs.batch -o name | sort | tr "\\n" " "'),
          'job.batch/helm-install-alloy job.batch/helm-install-kube-prometheus-stack job.batch/helm-install-loki job.batch/helm-install-tempo job.batch/helm-install-traefik');
        const u = await k("-n monitoring get secret grafana-admin -o 'jsonpath={.data.admin-user}'");
        const p = await k("-n monitoring get secret grafana-admin -o 'jsonpath={.data.admin-password}'");
        assert.equal(Buffer.from(p, 'base64').toString(), CANARY);
        assert.equal(Buffer.from(u, 'base64').toString(), 'admin');
      },
    });

    const changed = report.check.events.flatMap((e) => (e.type === 'host.step' && e.result.status === 'changed' ? [e.step] : []));
    assert.deepEqual(changed, [
      'K3s auto-deploy directory', 'Grafana admin Secret monitoring/grafana-admin', 'manifest monitoring-kube-prometheus-stack.yaml', 'kube-prometheus-stack deployed (Prometheus Operator CRDs present)',
      'manifest monitoring-loki.yaml', 'manifest monitoring-tempo.yaml', 'manifest monitoring-alloy.yaml', 'manifest monitoring-dashboards.yaml', 'manifest traefik-config.yaml',
      'monitoring releases deployed',
    ]);
    const diffs = report.check.events.flatMap((e) => (e.type === 'host.step' ? e.diffs : []));
    assert.ok(diffs.some((d) => d.path === `${MANIFESTS}/monitoring-kube-prometheus-stack.yaml` && /K3sScaleOutCPU/.test(d.after ?? '')), 'check --diff shows the manifest');
    const waited = report.apply.events.find((e) => e.type === 'host.step' && e.step === 'monitoring releases deployed');
    assert.equal(waited?.type === 'host.step' && waited.result.status, 'changed');
    const again = report.applyAgain.events.find((e) => e.type === 'host.step' && e.step === 'monitoring releases deployed');
    assert.match(again?.type === 'host.step' ? again.result.reason ?? '' : '', /deployed: loki 18\.11\.0: deployed, tempo 2\.2\.4: deployed, alloy 1\.5\.1: deployed, traefik: deployed/);
    for (const phase of Object.values(report)) assert.ok(!JSON.stringify(phase.events).includes(CANARY), 'the admin password is in no event');
  });

  it('a changed threshold: check predicts one rewritten file and a wait, touching nothing; apply does exactly that', async () => {
    assert.ok(set, 'the first test started the node');
    const nodes = set;
    const changedVars = { ...vars, alerts: { cpu_scale_out_pct: 75 } };
    const before = await nodes.snapshotFs('server1');
    const check = await runOnce(nodes, stage2, changedVars, true);
    const fs = diffSnapshots(before, await nodes.snapshotFs('server1'));
    assert.ok(isEmptyDiff(fs), formatDiff(fs));
    const kps = ['manifest monitoring-kube-prometheus-stack.yaml', 'kube-prometheus-stack deployed (Prometheus Operator CRDs present)'];
    assert.deepEqual(check.steps.filter((s) => s.result.status === 'changed').map((s) => s.step), kps);
    const apply = await runOnce(nodes, stage2, changedVars);
    assert.equal(apply.recap.exitCode, 0);
    assert.deepEqual(apply.steps.filter((s) => s.result.status === 'changed').map((s) => s.step), kps);
    const rules = await nodes.exec('server1', ['grep', '-c', 'instance:node_cpu_utilisation:percent > 75', `${MANIFESTS}/monitoring-kube-prometheus-stack.yaml`]);
    assert.equal(rules.stdout.trim(), '1');
    assert.equal((await runOnce(nodes, stage2, changedVars)).recap.hosts.server1?.changed, 0);
  });

  it('a chart version the controller cannot install fails the wait at once with the HelmChart\'s error', async () => {
    assert.ok(set, 'the first test started the node');
    const broken = await runOnce(set, stage2, { ...vars, alerts: { cpu_scale_out_pct: 75 }, tempo: { version: '0.0.0-fail' } });
    assert.notEqual(broken.recap.exitCode, 0);
    const failed = broken.steps.find((s) => s.result.status === 'failed');
    assert.equal(failed?.step, 'monitoring releases deployed');
    assert.match(failed?.result.msg ?? '', /HelmChart tempo failed \(failurePolicy abort\)/);
  });

  it('values of the wrong type for the chart: its install Job fails after running, and the wait fails at once with the Job\'s log', async () => {
    assert.ok(set, 'the first test started the node');
    const wrong = await runOnce(set, stage2, { ...vars, kps: { values: { prometheus: { prometheusSpec: { retention: 10 } } } } });
    assert.notEqual(wrong.recap.exitCode, 0);
    const failed = wrong.steps.filter((s) => s.result.status === 'failed');
    assert.deepEqual(failed.map((s) => s.step), ['kube-prometheus-stack deployed (Prometheus Operator CRDs present)']);
    const msg = failed[0]?.result.msg ?? '';
    assert.match(msg, /HelmChart kube-prometheus-stack failed \(failurePolicy abort\); its install job log:/);
    assert.match(msg, /values don't meet the specifications of the schema\(s\)[\s\S]*- prometheus\.prometheusSpec\.retention: Invalid type\. Expected: string, given: integer/);
    assert.doesNotMatch(msg, /not deployed after \d+s/, "not the timeout's message (the wait script quoted in the message holds its template)");
    assert.ok((failed[0]?.result.durationMs ?? Infinity) < vars.wait_timeout_s * 1000, 'the failure is reported as soon as the Job fails, not at the timeout');
    const again = await runOnce(set, stage2, { ...vars, kps: { values: { prometheus: { prometheusSpec: { retention: 10 } } } } });
    const still = again.steps.filter((s) => s.result.status === 'failed');
    assert.deepEqual(still.map((s) => s.step), ['kube-prometheus-stack deployed (Prometheus Operator CRDs present)'], 'a re-run fails at once too');
    assert.match(still[0]?.result.msg ?? '', /HelmChart kube-prometheus-stack 88\.5\.3 failed: Job has reached the specified backoff limit; its install job log:\n[\s\S]*- prometheus\.prometheusSpec\.retention: Invalid type\. Expected: string, given: integer/);
  });

  it('air-gap: chart archives are served from the server static directory and the HelmCharts point there', async () => {
    assert.ok(set, 'the first test started the node');
    const nodes = set;
    const charts = join(nodes.workDir, 'charts');
    await mkdir(charts, { recursive: true });
    const archives = ['alloy-1.5.1.tgz', 'kube-prometheus-stack-88.5.3.tgz', 'loki-18.11.0.tgz', 'tempo-2.2.4.tgz'];
    for (const f of archives) await writeFile(join(charts, f), `chart archive stand-in ${f}\n`);
    const airVars = { ...vars, alerts: { cpu_scale_out_pct: 75 }, airgap: { charts_dir: charts } };
    const run = await runOnce(nodes, stage2, airVars);
    assert.equal(run.recap.exitCode, 0, run.steps.filter((s) => s.result.status === 'failed').map((s) => s.result.msg).join('\n'));
    const sh = async (script: string) => (await nodes.exec('server1', ['sh', '-c', script])).stdout.trim();
    assert.equal(await sh('cd /var/lib/rancher/k3s/server/static/charts && stat -c "%n %a" * | tr "\\n" " "'), archives.map((f) => `${f} 644`).join(' '));
    assert.equal(await sh(`grep -h '^  chart:' ${MANIFESTS}/monitoring-loki.yaml`), 'chart: https://%{KUBERNETES_API}%/static/charts/loki-18.11.0.tgz');
    assert.equal(await sh(`grep -c '^  repo:' ${MANIFESTS}/monitoring-*.yaml | grep -vc ':0$' || true`), '0', 'no HelmChart names a repository');
    assert.equal((await runOnce(nodes, stage2, airVars)).recap.hosts.server1?.changed, 0);
  });

  it('preflight: on a server whose packaged Traefik is disabled, the run stops before writing anything', async () => {
    assert.ok(set, 'the first test started the node');
    const nodes = set;
    const airgap = join(nodes.workDir, 'airgap-test-double');
    const k3s = await runOnce(nodes, stage1, { airgap_dir: airgap, k3s_version: V, fetch_kubeconfig: false, disable: ['traefik'] });
    assert.equal(k3s.recap.exitCode, 0);
    const before = await nodes.snapshotFs('server1');
    const run = await runOnce(nodes, stage2, { ...vars, alerts: { cpu_scale_out_pct: 60 } });
    assert.notEqual(run.recap.exitCode, 0);
    const failed = run.steps.filter((s) => s.result.status === 'failed');
    assert.deepEqual(failed.map((s) => s.step), ['K3s Helm controller present']);
    assert.match(failed[0]?.result.msg ?? '', /the packaged Traefik is disabled on this cluster .*set traefik_metrics\.enabled to false/);
    const fs = diffSnapshots(before, await nodes.snapshotFs('server1'));
    assert.ok(isEmptyDiff(fs), formatDiff(fs));
  });
});

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
