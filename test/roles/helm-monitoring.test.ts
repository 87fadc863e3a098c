import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { dashboardConfigMaps, kpsValues, loadDashboard, monitoringVars, renderManifests, type DashboardName, type MonitoringVars } from '@capstan/helm-monitoring';
import { Secret } from '../../src/index.ts';

const CANARY = 'grafana-canary-pw-7f3a';
const golden = (name: string) => fileURLToPath(new URL(`../../roles/helm-monitoring/test/golden/${name}`, import.meta.url));
const vars = (over: Record<string, unknown> = {}): MonitoringVars => monitoringVars.parse({ grafana: { admin_password: new Secret(CANARY) }, ...over });

/** Compares with the golden file; CAPSTAN_UPDATE_GOLDEN=1 rewrites it instead. */
function assertGolden(name: string, actual: string): void {
  if (process.env.CAPSTAN_UPDATE_GOLDEN === '1') writeFileSync(golden(name), actual);
  assert.equal(actual, readFileSync(golden(name), 'utf8'), `golden file ${name}`);
}

function issues(input: Record<string, unknown>): string[] {
  const r = monitoringVars.safeParse(input);
  assert.equal(r.success, false, 'the input is rejected');
  return r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
}

type Spec = { spec: { valuesContent: string; chart: string; repo?: string; version?: string } };
const manifest = (v: MonitoringVars, file: string) => {
  const m = renderManifests(v).find((x) => x.file === file);
  assert.ok(m, `${file} is rendered`);
  return m;
};
const valuesOf = (v: MonitoringVars, file: string) => parse((parse(manifest(v, file).text) as Spec).spec.valuesContent) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('helm-monitoring variables', () => {
  it('defaults pin every chart and follow the roadmap thresholds', () => {
    const v = vars();
    assert.deepEqual([v.kps.version, v.loki.version, v.tempo.version, v.alloy.version], ['88.5.3', '18.11.0', '2.2.4', '1.5.1']);
    assert.equal(v.namespace, 'monitoring');
    assert.deepEqual([v.alerts.cpu_scale_out_pct, v.alerts.mem_scale_out_pct, v.alerts.cpu_stay_pct], [80, 90, 70]);
    assert.ok(v.grafana.admin_password instanceof Secret);
  });

  it('bad input is refused with the variable path', () => {
    assert.ok(issues({}).some((m) => m.startsWith('grafana.admin_password: grafana.admin_password is required')));
    assert.ok(issues({ grafana: { admin_password: 'x' }, kps: { version: 'latest' } }).some((m) => m.startsWith('kps.version: must be a pinned chart version')));
    assert.ok(issues({ grafana: { admin_password: 'x' }, alerts: { cpu_for: '30 minutes' } }).some((m) => m.startsWith('alerts.cpu_for: must be a Prometheus duration')));
    assert.ok(issues({ grafana: { admin_password: 'x' }, alerts: { cpu_scale_out_pct: 120 } }).some((m) => m.startsWith('alerts.cpu_scale_out_pct')));
    assert.ok(issues({ grafana: { admin_password: 'x' }, namespace: 'Monitoring' }).some((m) => m.startsWith('namespace: namespace must be a lowercase RFC 1123 name')));
    assert.ok(issues({ grafana: { admin_password: 'x' }, loki: { repo: 'ftp://x' } }).some((m) => m.startsWith('loki.repo:')));
    assert.ok(issues({ grafana: { admin_password: 'x' }, kps: { enabled: false } }).some((m) => m.startsWith('traefik_metrics.service_monitor: a Traefik ServiceMonitor needs kube-prometheus-stack')));
    assert.ok(issues({ grafana: { admin_password: 'x' }, tempo: { verison: '1.0.0' } }).some((m) => m.includes('verison')), 'a misspelt key is an error');
  });

  it('air-gap: every enabled chart archive must be in the controller directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'charts-'));
    for (const f of ['kube-prometheus-stack-88.5.3.tgz', 'loki-18.11.0.tgz', 'tempo-2.2.4.tgz']) writeFileSync(join(dir, f), 'archive');
    assert.deepEqual(issues({ grafana: { admin_password: 'x' }, airgap: { charts_dir: dir } }), [`airgap.charts_dir: ${dir} has no alloy-1.5.1.tgz (alloy)`]);
    assert.ok(monitoringVars.safeParse({ grafana: { admin_password: 'x' }, airgap: { charts_dir: dir }, alloy: { enabled: false } }).success);
    assert.ok(issues({ grafana: { admin_password: 'x' }, airgap: { charts_dir: join(dir, 'nope') } }).some((m) => m.includes('does not exist on the controller')));
  });
});

describe('helm-monitoring manifests', () => {
  it('every manifest renders as its golden file', () => {
    const files = renderManifests(vars());
    assert.deepEqual(files.map((m) => m.file), ['monitoring-kube-prometheus-stack.yaml', 'monitoring-loki.yaml', 'monitoring-tempo.yaml', 'monitoring-alloy.yaml', 'monitoring-dashboards.yaml', 'traefik-config.yaml']);
    for (const m of files) assertGolden(m.file, m.text);
  });

  it('air-gap charts come from the server static directory, online ones from their repository', () => {
    const dir = mkdtempSync(join(tmpdir(), 'charts-'));
    for (const f of ['kube-prometheus-stack-88.5.3.tgz', 'loki-18.11.0.tgz', 'tempo-2.2.4.tgz', 'alloy-1.5.1.tgz']) writeFileSync(join(dir, f), 'archive');
    const air = parse(manifest(vars({ airgap: { charts_dir: dir } }), 'monitoring-loki.yaml').text) as Spec;
    assert.equal(air.spec.chart, 'https://%{KUBERNETES_API}%/static/charts/loki-18.11.0.tgz');
    assert.equal(air.spec.repo, undefined);
    assertGolden('monitoring-kube-prometheus-stack-airgap.yaml', manifest(vars({ airgap: { charts_dir: dir } }), 'monitoring-kube-prometheus-stack.yaml').text);
    const oci = parse(manifest(vars({ kps: { repo: 'oci://ghcr.io/prometheus-community/charts' } }), 'monitoring-kube-prometheus-stack.yaml').text) as Spec;
    assert.equal(oci.spec.chart, 'oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack');
    assert.equal(oci.spec.repo, undefined);
  });

  it('HelmCharts abort instead of reinstalling, are version-pinned and target the monitoring namespace', () => {
    for (const m of renderManifests(vars()).filter((x) => x.file.startsWith('monitoring-') && x.release)) {
      const doc = parse(m.text) as { kind: string; metadata: { namespace: string }; spec: Record<string, unknown> };
      assert.equal(doc.kind, 'HelmChart');
      assert.equal(doc.metadata.namespace, 'kube-system');
      assert.deepEqual([doc.spec.failurePolicy, doc.spec.targetNamespace, doc.spec.createNamespace, doc.spec.version], ['abort', 'monitoring', true, m.release?.version]);
    }
  });

  it('kube-prometheus-stack: every ServiceMonitor and rule selected, K3s loopback components off, admin from the Secret, rules included', () => {
    const k = valuesOf(vars(), 'monitoring-kube-prometheus-stack.yaml');
    const spec = k.prometheus.prometheusSpec;
    assert.deepEqual([spec.serviceMonitorSelectorNilUsesHelmValues, spec.podMonitorSelectorNilUsesHelmValues, spec.ruleSelectorNilUsesHelmValues], [false, false, false]);
    assert.deepEqual(['kubeControllerManager', 'kubeScheduler', 'kubeProxy', 'kubeEtcd'].map((c) => k[c].enabled), [false, false, false, false]);
    assert.deepEqual(k.grafana.admin, { existingSecret: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' });
    assert.deepEqual(k.grafana.additionalDataSources.map((d: { uid: string }) => d.uid), ['loki', 'tempo']);
    assert.deepEqual(Object.keys(k.additionalPrometheusRulesMap), ['k3s-capacity', 'traefik']);
    const etcd = valuesOf(vars({ etcd_endpoints: ['10.0.0.1', '10.0.0.2'] }), 'monitoring-kube-prometheus-stack.yaml').kubeEtcd;
    assert.deepEqual(etcd, { enabled: true, endpoints: ['10.0.0.1', '10.0.0.2'], service: { enabled: true, port: 2381, targetPort: 2381 } });
  });

  it('user values are merged over the role\'s (objects key by key, lists replaced)', () => {
    const v = vars({ kps: { values: { grafana: { persistence: { size: '1Gi' } }, prometheus: { prometheusSpec: { retention: '3d' } } } } });
    const k = kpsValues(v) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(k.grafana.persistence.size, '1Gi');
    assert.equal(k.grafana.persistence.storageClassName, 'local-path', 'sibling keys survive');
    assert.equal(k.prometheus.prometheusSpec.retention, '3d');
    assert.equal(k.prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues, false);
  });

  it('Loki is a single binary on the filesystem that really deletes old logs', () => {
    const l = valuesOf(vars({ retention: { loki: '72h' } }), 'monitoring-loki.yaml');
    assert.equal(l.deploymentMode, 'Monolithic');
    assert.deepEqual(l.loki.compactor, { retention_enabled: true, delete_request_store: 'filesystem' });
    assert.equal(l.loki.limits_config.retention_period, '72h');
    assert.equal(l.loki.auth_enabled, false);
    assert.equal(l.loki.schemaConfig.configs[0].schema, 'v13');
    assert.deepEqual([l.singleBinary.replicas, l.read.replicas, l.write.replicas, l.backend.replicas], [1, 0, 0, 0]);
    assert.deepEqual([l.chunksCache.enabled, l.resultsCache.enabled, l.minio.enabled], [false, false, false]);
  });

  it('Tempo keeps traces on a volume; Alloy ships pod logs to the Loki gateway', () => {
    const t = valuesOf(vars(), 'monitoring-tempo.yaml');
    assert.deepEqual([t.persistence.enabled, t.tempo.retention, t.tempo.storage.trace.backend], [true, '24h', 'local']);
    const a = valuesOf(vars(), 'monitoring-alloy.yaml');
    assert.equal(a.controller.type, 'daemonset');
    assert.match(a.alloy.configMap.content, /loki\.source\.kubernetes "pods"[\s\S]*url = "http:\/\/loki-gateway\.monitoring\.svc\.cluster\.local\/loki\/api\/v1\/push"/);
  });

  it('Traefik: the scrape annotation names the metrics port, a Service and a ServiceMonitor with job=traefik', () => {
    const doc = parse(manifest(vars({ traefik_metrics: { port: 9200 } }), 'traefik-config.yaml').text) as { kind: string; metadata: { name: string; namespace: string }; spec: { valuesContent: string } };
    assert.deepEqual([doc.kind, doc.metadata.name, doc.metadata.namespace], ['HelmChartConfig', 'traefik', 'kube-system']);
    const t = parse(doc.spec.valuesContent) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(t.deployment.podAnnotations['prometheus.io/port'], '9200');
    assert.equal(t.ports.metrics.port, 9200);
    assert.equal(t.ports.metrics.expose.default, false);
    assert.deepEqual(t.metrics.prometheus.serviceMonitor, { enabled: true, jobLabel: 'app.kubernetes.io/name', interval: '30s' });
    assert.equal(renderManifests(vars({ traefik_metrics: { enabled: false } })).some((m) => m.file === 'traefik-config.yaml'), false);
  });

  it('hostile strings in user values survive as data: the rendered values parse back to exactly what was given', () => {
    const hostile = ['$(touch /tmp/PWNED)', "'; rm -rf / #", '<%= process.env %>', '{{ 7*7 }}', 'line1\nline2', '0644', 'no', 'null', '%{KUBERNETES_API}%', '---', 'é中😀'];
    const extra = Object.fromEntries(hostile.map((h, i) => [`k${i}`, h]));
    const values = JSON.parse(`{"extra": ${JSON.stringify(extra)}, "__proto__": {"polluted": true}}`) as Record<string, unknown>;
    const l = valuesOf(vars({ loki: { values } }), 'monitoring-loki.yaml');
    assert.deepEqual(l.extra, extra);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('no manifest holds the Grafana admin password', () => {
    for (const m of renderManifests(vars())) assert.ok(!m.text.includes(CANARY), m.file);
  });
});

const DASHBOARDS: DashboardName[] = ['k3s', 'traefik', 'app'];
type Ref = { type?: string; uid?: string };
type Panel = { id: number; type: string; datasource?: Ref; targets?: ({ datasource?: Ref; expr?: string; query?: string })[]; gridPos?: object };

describe('helm-monitoring product code', () => {
  it('never refers to the K3s test double', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const files = ['vars', 'values', 'rules', 'manifests', 'dashboards', 'role', 'index', 'modules/releases', 'modules/admin-secret', 'modules/helm-cli', 'modules/preflight']
      .map((f) => join(root, 'roles/helm-monitoring/src', `${f}.ts`)).concat(join(root, 'playbooks/stage2-observability.ts'));
    for (const f of files) assert.ok(!/test-double|k3s-double/.test(readFileSync(f, 'utf8')), f);
  });
});

describe('helm-monitoring dashboards', () => {
  const provisioned = new Map([['prometheus', 'prometheus'], ['loki', 'loki'], ['tempo', 'tempo']]);

  it('are valid JSON with unique uids and panel ids, and every panel has a query', () => {
    const uids = DASHBOARDS.map((n) => loadDashboard(n).uid);
    assert.equal(new Set(uids).size, 3);
    for (const n of DASHBOARDS) {
      const d = loadDashboard(n);
      const panels = d.panels as Panel[];
      assert.ok(panels.length >= 8, `${n} has real content`);
      assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, `${n} panel ids are unique`);
      for (const p of panels) {
        assert.ok(p.gridPos && p.targets?.length, `${n} panel ${p.id} has a position and a query`);
        for (const t of p.targets ?? []) assert.ok((t.expr ?? t.query ?? '').trim(), `${n} panel ${p.id} query is not empty`);
      }
    }
  });

  it('every data source reference resolves: the ${datasource} variable (Prometheus) or a uid Grafana is provisioned with', () => {
    const dataSources = (valuesOf(vars(), 'monitoring-kube-prometheus-stack.yaml').grafana.additionalDataSources as Ref[]).map((d) => [d.uid, d.type]);
    for (const [uid, type] of dataSources) assert.equal(provisioned.get(uid ?? ''), type);
    for (const n of DASHBOARDS) {
      const d = loadDashboard(n);
      const variables = new Map(d.templating.list.filter((t) => t.type === 'datasource').map((t) => [`\${${String(t.name)}}`, String(t.query)]));
      const refs = (d.panels as Panel[]).flatMap((p) => [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]);
      for (const r of refs) {
        assert.ok(r?.uid && r.type, `${n}: every panel and query names its data source`);
        const type = variables.get(r.uid) ?? provisioned.get(r.uid);
        assert.equal(type, r.type, `${n}: data source ${r.uid} (${r.type}) resolves`);
      }
      for (const v of d.templating.list.filter((t) => t.type === 'query')) assert.equal((v.datasource as Ref).uid, '${datasource}');
    }
  });

  it('go to Grafana as ConfigMaps labelled for the dashboard sidecar, the app one preset to its namespace', () => {
    const maps = dashboardConfigMaps(vars({ dashboards: { app_namespace: 'shop' } })) as { metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> }; data: Record<string, string> }[];
    assert.deepEqual(maps.map((m) => m.metadata.name), ['capstan-dashboard-k3s', 'capstan-dashboard-traefik', 'capstan-dashboard-app']);
    for (const m of maps) {
      assert.equal(m.metadata.labels.grafana_dashboard, '1');
      assert.equal(m.metadata.annotations.grafana_folder, 'Capstan');
      assert.equal(m.metadata.namespace, 'monitoring');
      for (const json of Object.values(m.data)) JSON.parse(json);
    }
    const app = JSON.parse(Object.values(maps[2]?.data ?? {})[0] ?? '{}') as { templating: { list: { name: string; current: { value: string } }[] } };
    assert.equal(app.templating.list.find((t) => t.name === 'namespace')?.current.value, 'shop');
    const docs = parseAllDocuments(manifest(vars(), 'monitoring-dashboards.yaml').text);
    assert.equal(docs.length, 3);
  });
});
