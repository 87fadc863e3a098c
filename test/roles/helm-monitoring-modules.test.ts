import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  credentialsDigest, helmControllerPreflight, helmMonitoring, monitoringVars, parseControllerProbe, grafanaAdminSecret, helmRelease, helmReleasesDeployed, parseHelmStatus, parseReleaseStatus, releaseState, waitScript,
} from '@capstan/helm-monitoring';
import { renderScript } from '../../src/commands/command.ts';
import { Secret } from '../../src/index.ts';

import { execs, plan } from '../support/module-table.ts';

const helmChart = (name: string, version: string, failed?: string) => ({
  metadata: { name }, spec: { version },
  status: { jobName: `helm-install-${name}`, conditions: failed ? [{ type: 'Failed', status: 'True', message: failed }] : [{ type: 'JobCreated', status: 'True' }] },
});
const job = (name: string, version: string, succeeded: number) => ({
  metadata: { name: `helm-install-${name}` }, status: succeeded ? { succeeded } : { active: 1 },
  spec: { template: { spec: { containers: [{ env: [{ name: 'NAME', value: name }, { name: 'VERSION', value: version }] }] } } },
});
const kubectlOut = (charts: object[], jobs: object[]) => `${JSON.stringify({ items: charts })}\n---capstan-jobs---\n${JSON.stringify({ items: jobs })}\n`;

describe('helm release status (facts in, state out)', () => {
  const cases: [string, string, ReturnType<typeof releaseState>][] = [
    ['no HelmChart yet', kubectlOut([], []), 'missing'],
    ['HelmChart applied, Job not created', kubectlOut([helmChart('loki', '18.11.0')], []), 'installing'],
    ['Job running', kubectlOut([helmChart('loki', '18.11.0')], [job('loki', '18.11.0', 0)]), 'installing'],
    ['Job succeeded for the previous version (upgrade pending)', kubectlOut([helmChart('loki', '18.11.0')], [job('loki', '18.10.0', 1)]), 'installing'],
    ['the AddOn not applied yet (HelmChart still at the old version)', kubectlOut([helmChart('loki', '18.10.0')], [job('loki', '18.10.0', 1)]), 'installing'],
    ['Job succeeded for this version', kubectlOut([helmChart('loki', '18.11.0')], [job('loki', '18.11.0', 1)]), 'deployed'],
    ['Failed condition (abort)', kubectlOut([helmChart('loki', '18.11.0', 'chart not found')], [job('loki', '18.11.0', 0)]), 'failed'],
    ['K3s not running: empty output', '', 'missing'],
  ];
  for (const [what, out, state] of cases) {
    it(`${what}: ${state}`, () => {
      const [s] = parseReleaseStatus(out, ['loki']);
      assert.ok(s);
      assert.equal(releaseState({ version: '18.11.0' }, s), state);
    });
  }

  it('the packaged Traefik (no version) is deployed once its Job succeeded', () => {
    const [s] = parseReleaseStatus(kubectlOut([{ metadata: { name: 'traefik' }, spec: {} }], [job('traefik', '', 1)]), ['traefik']);
    assert.equal(releaseState({ version: '' }, s!), 'deployed');
  });
});

describe('helm releases deployed module', () => {
  const args = { namespace: 'kube-system', releases: [{ name: 'loki', version: '18.11.0' }, { name: 'traefik', version: '' }], timeoutS: 120 };
  const deployed = parseReleaseStatus(kubectlOut([helmChart('loki', '18.11.0'), { metadata: { name: 'traefik' }, spec: {} }], [job('loki', '18.11.0', 1), job('traefik', '', 1)]), ['loki', 'traefik']);

  it('does nothing when every release is deployed, and says which', () => {
    assert.equal(plan(helmReleasesDeployed, args, { status: deployed }).noop, 'deployed: loki 18.11.0: deployed, traefik: deployed');
  });

  it('otherwise waits, bounded: the command times out after the wait', () => {
    const status = parseReleaseStatus(kubectlOut([helmChart('loki', '18.11.0')], []), ['loki', 'traefik']);
    const p = plan(helmReleasesDeployed, args, { status });
    assert.equal(p.changes[0]?.summary, 'wait up to 120s for loki 18.11.0: installing, traefik: missing');
    const [c] = execs(p);
    assert.equal(c?.timeoutMs, 180_000);
    assert.match(c?.script ?? '', /for rv in 'loki=18\.11\.0' 'traefik='; do/);
    assert.match(c?.script ?? '', /not deployed after \$\{t\}s/);
  });

  it('waits even for releases that look deployed when this run rewrote their manifests (the old Job is not the new one)', () => {
    const p = plan(helmReleasesDeployed, { ...args, changed: true }, { status: deployed });
    assert.equal(p.changes[0]?.summary, 'wait up to 120s for loki 18.11.0: deployed, traefik: deployed (manifests changed)');
    assert.match(execs(p)[0]?.script ?? '', /end=\$\(\( \$\(date \+%s\) \+ t \)\); sleep 5; while :/);
  });

  it('fails at once on a Failed HelmChart, naming the Job to read', () => {
    const status = parseReleaseStatus(kubectlOut([helmChart('loki', '18.11.0', 'Error: chart "loki" version "18.11.0" not found')], []), ['loki', 'traefik']);
    assert.match(plan(helmReleasesDeployed, args, { status }).error ?? '', /HelmChart loki 18\.11\.0 failed: Error: chart "loki" version "18\.11\.0" not found; see `k3s kubectl -n kube-system logs job\/helm-install-loki`/);
  });

  it('the wait script is valid POSIX shell', () => {
    execFileSync('sh', ['-n', '-c', String(waitScript(helmReleasesDeployed.definition.args.parse(args) as Parameters<typeof waitScript>[0]))]);
  });
});

describe('Grafana admin Secret module', () => {
  const args = { namespace: 'monitoring', name: 'grafana-admin', user: 'admin', password: new Secret('s3cret-admin-pw') };

  it('creates the Namespace and Secret from stdin: the password is in no script and no summary', () => {
    const p = plan(grafanaAdminSecret, args, { digest: null });
    assert.equal(p.changes[0]?.summary, 'create Secret monitoring/grafana-admin (admin-user, admin-password: values hidden)');
    const [c] = execs(p);
    assert.equal(renderScript(c!), '{ /usr/local/bin/k3s kubectl apply -f -\n}');
    assert.ok(c?.stdin instanceof Secret);
    const list = JSON.parse((c.stdin as Secret).reveal()) as { items: { kind: string; data?: Record<string, string> }[] };
    assert.deepEqual(list.items.map((i) => i.kind), ['Namespace', 'Secret']);
    assert.equal(Buffer.from(list.items[1]?.data?.['admin-password'] ?? '', 'base64').toString(), 's3cret-admin-pw');
    assert.ok(!JSON.stringify(p).includes('s3cret-admin-pw'));
  });

  it('does nothing when the host computes the same digest; updates when the password changed', () => {
    assert.match(plan(grafanaAdminSecret, args, { digest: credentialsDigest('admin', 's3cret-admin-pw') }).noop ?? '', /holds the wanted credentials/);
    assert.match(plan(grafanaAdminSecret, args, { digest: credentialsDigest('admin', 'old') }).changes[0]?.summary ?? '', /^update Secret/);
  });

  it('the digest is what the host computes from the base64 values kubectl prints', () => {
    const u = Buffer.from('admin').toString('base64');
    const pw = Buffer.from('s3cret-admin-pw').toString('base64');
    const onHost = execFileSync('sh', ['-c', 'printf \'%s\\n%s\' "$1" "$2" | sha256sum | cut -d " " -f 1', 'sh', u, pw], { encoding: 'utf8' }).trim();
    assert.equal(onHost, credentialsDigest('admin', 's3cret-admin-pw'));
  });
});

describe('helm CLI mode (plan and commands only: no helm binary can be had here)', () => {
  const args = { release: 'loki', chart: 'loki', repo: 'https://grafana-community.github.io/helm-charts', version: '18.11.0', namespace: 'monitoring', valuesFile: '/etc/capstan/helm-monitoring/loki.yaml', timeoutS: 900 };
  const deployed = parseHelmStatus(JSON.stringify({ name: 'loki', info: { status: 'deployed' }, chart: { metadata: { name: 'loki', version: '18.11.0' } } }));

  it('parses helm status', () => {
    assert.deepEqual(parseHelmStatus('no-helm\n'), { helm: false });
    assert.deepEqual(parseHelmStatus('absent\n'), { helm: true, release: null });
    assert.deepEqual(deployed, { helm: true, release: { status: 'deployed', chartVersion: '18.11.0' } });
  });

  it('installs an absent release with one upgrade --install that waits, pinned and with the values file', () => {
    const p = plan(helmRelease, args, { info: { helm: true, release: null } });
    assert.equal(p.changes[0]?.summary, 'helm upgrade --install loki 18.11.0 (not installed)');
    const [c] = execs(p);
    assert.equal(c?.script, "helm upgrade --install loki loki --repo https://grafana-community.github.io/helm-charts --version 18.11.0 --namespace monitoring --create-namespace --values /etc/capstan/helm-monitoring/loki.yaml --wait --timeout 900s");
    assert.deepEqual(c?.env, { KUBECONFIG: '/etc/rancher/k3s/k3s.yaml' });
  });

  it('does nothing when deployed at the version with unchanged values; upgrades on a new version, changed values or a failed release', () => {
    assert.equal(plan(helmRelease, args, { info: deployed }).noop, 'release loki is deployed at 18.11.0');
    assert.match(plan(helmRelease, { ...args, version: '18.12.0' }, { info: deployed }).changes[0]?.summary ?? '', /chart 18\.11\.0 -> 18\.12\.0/);
    assert.match(plan(helmRelease, { ...args, valuesChanged: true }, { info: deployed }).changes[0]?.summary ?? '', /values changed/);
    const failed = parseHelmStatus(JSON.stringify({ info: { status: 'failed' }, chart: { metadata: { version: '18.11.0' } } }));
    assert.match(plan(helmRelease, args, { info: failed }).changes[0]?.summary ?? '', /status failed/);
  });

  it('an OCI or air-gap chart has no --repo; without helm on the host the step fails with advice', () => {
    const [c] = execs(plan(helmRelease, { ...args, chart: '/var/lib/rancher/k3s/server/static/charts/loki-18.11.0.tgz', repo: undefined }, { info: { helm: true, release: null } }));
    assert.match(c?.script ?? '', /^helm upgrade --install loki \/var\/lib\/rancher\/k3s\/server\/static\/charts\/loki-18\.11\.0\.tgz --version/);
    assert.match(plan(helmRelease, args, { info: { helm: false } }).error ?? '', /helm is not installed on this host; install it, or use mode helm-controller/);
  });
});

describe('Helm controller preflight (read-only)', () => {
  const both = 'customresourcedefinition.apiextensions.k8s.io/helmcharts.helm.cattle.io\ncustomresourcedefinition.apiextensions.k8s.io/helmchartconfigs.helm.cattle.io\n';
  const traefik = 'helmchart.helm.cattle.io/traefik\n';
  const notFound = (what: string) => `Error from server (NotFound): ${what} not found\n`;

  it('passes when the CRDs and the packaged Traefik are there', () => {
    assert.match(plan(helmControllerPreflight, { traefik: true }, { probe: parseControllerProbe(both + traefik) }).noop ?? '', /CRDs are present and Traefik is the packaged one/);
  });

  it('fails with advice when the Helm controller is disabled, or Traefik is while its metrics are wanted', () => {
    const disabled = parseControllerProbe(notFound('customresourcedefinitions.apiextensions.k8s.io "helmcharts.helm.cattle.io"') + notFound('x') + traefik);
    assert.match(plan(helmControllerPreflight, { traefik: true }, { probe: disabled }).error ?? '', /--disable-helm-controller; enable it, or use mode helm-cli/);
    const noTraefik = parseControllerProbe(both + notFound('helmcharts.helm.cattle.io "traefik"'));
    assert.match(plan(helmControllerPreflight, { traefik: true }, { probe: noTraefik }).error ?? '', /set traefik_metrics\.enabled to false/);
    assert.ok(plan(helmControllerPreflight, { traefik: false }, { probe: noTraefik }).noop);
  });

  it('an API that does not answer fails; a host without K3s yet has nothing to probe', () => {
    const down = parseControllerProbe('The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?\n');
    assert.match(plan(helmControllerPreflight, { traefik: true }, { probe: down }).error ?? '', /the K3s API does not answer: The connection/);
    assert.match(plan(helmControllerPreflight, { traefik: true }, { probe: parseControllerProbe('no-k3s\n') }).noop ?? '', /not installed on this host yet/);
  });
});

describe('helm-monitoring role steps', () => {
  const ctx = { host: 'server1', playHosts: ['server1', 'server2'], hostVars: () => ({}), groupHosts: () => [] };
  const steps = (over: Record<string, unknown>) => helmMonitoring.definition.steps(monitoringVars.parse({ grafana: { admin_password: 'pw' }, ...over }), ctx)
    .map((s) => ({ name: s.kind === 'module' ? s.options.name : s.kind, module: s.kind === 'module' ? s.module.name : s.kind, args: s.kind === 'module' ? s.args as Record<string, unknown> : {} }));

  it('helm controller: the Secret, kube-prometheus-stack and its wait, then the rest and one wait; manifests are 0600', () => {
    const list = steps({});
    assert.deepEqual(list.map((s) => s.name), [
      'K3s Helm controller present', 'K3s auto-deploy directory', 'Grafana admin Secret monitoring/grafana-admin', 'manifest monitoring-kube-prometheus-stack.yaml',
      'kube-prometheus-stack deployed (Prometheus Operator CRDs present)', 'manifest monitoring-loki.yaml', 'manifest monitoring-tempo.yaml',
      'manifest monitoring-alloy.yaml', 'manifest monitoring-dashboards.yaml', 'manifest traefik-config.yaml', 'monitoring releases deployed',
    ]);
    for (const s of list.filter((x) => x.module === 'copy')) assert.equal(s.args.mode, '0600');
  });

  it('every server gets the manifests; the preflight, the Secret and the waits run on the first server only', () => {
    const raw = helmMonitoring.definition.steps(monitoringVars.parse({ grafana: { admin_password: 'pw' } }), ctx);
    const onSecond = raw.filter((s) => s.kind === 'module' && (!s.options.when || s.options.when({ host: 'server2', playHosts: ['server1', 'server2'] } as never)));
    assert.deepEqual(onSecond.map((s) => (s.kind === 'module' ? s.options.name : '')), [
      'K3s auto-deploy directory', 'manifest monitoring-kube-prometheus-stack.yaml', 'manifest monitoring-loki.yaml', 'manifest monitoring-tempo.yaml',
      'manifest monitoring-alloy.yaml', 'manifest monitoring-dashboards.yaml', 'manifest traefik-config.yaml',
    ]);
  });

  it('helm CLI: values files (0600) and one helm release per chart; dashboards and Traefik stay K3s manifests', () => {
    const list = steps({ mode: 'helm-cli' });
    assert.deepEqual(list.map((s) => s.name), [
      'K3s Helm controller present', 'K3s auto-deploy directory', 'Grafana admin Secret monitoring/grafana-admin', 'helm values directory',
      'helm values kube-prometheus-stack', 'helm release kube-prometheus-stack', 'helm values loki', 'helm release loki',
      'helm values tempo', 'helm release tempo', 'helm values alloy', 'helm release alloy',
      'manifest monitoring-dashboards.yaml', 'manifest traefik-config.yaml', 'Traefik reconfigured',
    ]);
    const values = list.find((s) => s.name === 'helm values loki');
    assert.deepEqual([values?.args.dest, values?.args.mode], ['/etc/capstan/helm-monitoring/loki.yaml', '0600']);
    assert.equal(list.find((s) => s.name === 'helm release loki')?.args.repo, 'https://grafana-community.github.io/helm-charts');
  });
});
