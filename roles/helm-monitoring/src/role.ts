/**
 * Role `helm-monitoring`: Prometheus, Alertmanager and Grafana (kube-prometheus-stack), Loki,
 * Tempo and Alloy on K3s, plus Traefik metrics, dashboards and the roadmap's alert rules.
 * By default through K3s's own Helm controller: HelmChart manifests written atomically (0600)
 * into the servers' auto-deploy directory, so no `helm` binary is needed; `mode: 'helm-cli'`
 * runs `helm upgrade --install` on the first server instead.
 *
 *   import { helmMonitoring } from '@capstan/helm-monitoring';
 *   definePlaybook({ plays: [{ name: 'observability', hosts: 'server', become: true,
 *     roles: [helmMonitoring.use({ grafana: { admin_password: new Secret(pw) }, alerts: { cpu_scale_out_pct: 80 } })] }] });
 *
 * Every server gets identical manifest files (K3s does not sync them); the Grafana admin
 * Secret and the waits run on the first server of the play. Re-running changes nothing.
 */
import { k3sDataDirAlias, k3sPaths } from '@capstan/k3s-server';
import { copy, deferred, defineRole, file, type Step, type StepContext } from 'capstan';
import { enabledCharts, renderManifests, VALUES_BY_CHART, type Manifest } from './manifests.ts';
import { alertingWarnings, alertmanagerYaml } from './alerting.ts';
import { etcdEndpointsOf, withEtcdEndpoints } from './etcd.ts';
import { grafanaAdminSecret, k8sSecret } from './modules/admin-secret.ts';
import { helmRelease } from './modules/helm-cli.ts';
import { helmControllerPreflight } from './modules/preflight.ts';
import { helmReleasesDeployed } from './modules/releases.ts';
import { chartArchive, MANIFESTS_DIR, monitoringVars, type ChartKey, type MonitoringVars } from './vars.ts';
import { stringify } from 'yaml';

const first = { when: (ctx: StepContext) => ctx.host === ctx.playHosts[0] };

function airgapSteps(v: MonitoringVars): Step[] {
  if (!v.airgap) return [];
  const dir = v.airgap.charts_dir;
  return [
    file({ path: k3sPaths(v.k3s_data_dir).staticCharts, state: 'directory', mode: '0755' }, { name: 'K3s static charts directory' }),
    ...enabledCharts(v).map((k) => copy({ src: `${dir}/${chartArchive(v[k])}`, dest: `${k3sPaths(v.k3s_data_dir).staticCharts}/${chartArchive(v[k])}`, mode: '0644' },
      { name: `chart archive ${chartArchive(v[k])}` })),
  ];
}

function adminSecret(v: MonitoringVars): Step[] {
  const password = v.grafana.admin_password;
  if (!v.kps.enabled || !password) return [];
  return [grafanaAdminSecret({ namespace: v.namespace, name: v.grafana.admin_secret_name, user: v.grafana.admin_user, password },
    { name: `Grafana admin Secret ${v.namespace}/${v.grafana.admin_secret_name}`, ...first })];
}

/** Alertmanager's configuration (receivers with their URLs and passwords) as a Secret the chart points at. */
function alertmanagerSecret(v: MonitoringVars): Step[] {
  if (!v.kps.enabled || !v.alerting.receivers.length) return [];
  const name = v.alerting.secret_name;
  return [k8sSecret({ namespace: v.namespace, name, data: { 'alertmanager.yaml': alertmanagerYaml(v.alerting) } },
    { name: `Alertmanager configuration Secret ${v.namespace}/${name} (${v.alerting.receivers.map((r) => `${r.type} ${r.name}`).join(', ')})`, ...first })];
}

/** The user wrote Alertmanager's configuration into the chart values themselves. */
const ownAlertmanagerConfig = (v: MonitoringVars) => {
  const am = v.kps.values.alertmanager as { config?: unknown } | undefined;
  return am !== null && typeof am === 'object' && am.config !== undefined;
};

const write = (v: MonitoringVars, m: Manifest) =>
  copy({ dest: `${v.manifests_dir}/${m.file}`, content: m.text, mode: '0600' }, { name: `manifest ${m.file}` });

/** Waits for the releases of `list`; `writes` are the steps that wrote their files in this run. */
const wait = (v: MonitoringVars, list: Manifest[], writes: Step[], name: string) => {
  const releases = list.flatMap((m) => (m.release ? [m.release] : []));
  const changed = deferred((ctx: StepContext) => writes.some((w) => ctx.result(w)?.changed === true), 'manifests changed');
  return releases.length ? [helmReleasesDeployed({ namespace: v.helmchart_namespace, releases, timeoutS: v.wait_timeout_s, changed }, { name, ...first })] : [];
};

/** Helm controller: kube-prometheus-stack first (its CRDs), then the rest, Traefik's config last. */
function controllerSteps(v: MonitoringVars): Step[] {
  const all = renderManifests(v);
  const [head, rest] = v.kps.enabled ? [all.slice(0, 1), all.slice(1)] : [[], all];
  const headWrites = head.map((m) => write(v, m));
  const restWrites = rest.map((m) => write(v, m));
  return [
    ...headWrites,
    ...wait(v, head, headWrites, 'kube-prometheus-stack deployed (Prometheus Operator CRDs present)'),
    ...restWrites,
    ...wait(v, rest, restWrites, 'monitoring releases deployed'),
  ];
}

function helmCliRelease(v: MonitoringVars, k: ChartKey): Step[] {
  const c = v[k];
  const valuesFile = `${v.values_dir}/${c.release}.yaml`;
  const values = copy({ dest: valuesFile, content: stringify(VALUES_BY_CHART[k](v), { lineWidth: 0 }), mode: '0600' }, { name: `helm values ${c.release}`, ...first });
  const local = v.airgap ? `${k3sPaths(v.k3s_data_dir).staticCharts}/${chartArchive(c)}` : undefined;
  const oci = c.repo.startsWith('oci://');
  return [values, helmRelease({
    release: c.release, chart: local ?? (oci ? `${c.repo.replace(/\/$/, '')}/${c.chart}` : c.chart), ...(local || oci ? {} : { repo: c.repo }),
    version: c.version, namespace: v.namespace, valuesFile, timeoutS: v.wait_timeout_s,
    valuesChanged: deferred((ctx: StepContext) => ctx.result(values)?.changed === true, `${c.release} values changed`),
  }, { name: `helm release ${c.release}`, ...first })];
}

/** Helm CLI: releases by `helm`; dashboards and Traefik's config are still K3s manifests. */
function cliSteps(v: MonitoringVars): Step[] {
  const manifests = renderManifests(v).filter((m) => !m.file.startsWith('monitoring-') || m.file === 'monitoring-dashboards.yaml');
  const writes = manifests.map((m) => write(v, m));
  return [
    file({ path: v.values_dir, state: 'directory', mode: '0700' }, { name: 'helm values directory', ...first }),
    ...enabledCharts(v).flatMap((k) => helmCliRelease(v, k)),
    ...writes,
    ...wait(v, manifests, writes, 'Traefik reconfigured'),
  ];
}

export const helmMonitoring = defineRole({
  name: 'helm-monitoring',
  description: 'Prometheus, Alertmanager, Grafana, Loki, Tempo, Alloy, Traefik metrics, dashboards and alert rules on K3s',
  vars: monitoringVars,
  aliases: [k3sDataDirAlias],
  warnings: (v, ctx) => [
    ...alertingWarnings(v.alerting, { alertmanager: v.kps.enabled, ownConfig: ownAlertmanagerConfig(v) }),
    ...(v.kps.enabled ? etcdEndpointsOf(v, ctx).warnings : []),
  ],
  steps: (given, ctx) => {
    // the auto-deploy directory follows a non-default data directory unless set on its own
    const v = given.manifests_dir === MANIFESTS_DIR ? { ...given, manifests_dir: k3sPaths(given.k3s_data_dir).manifests } : given;
    return steps(withEtcdEndpoints(v, ctx));
  },
});

function steps(v: MonitoringVars): Step[] {
  return [
    ...(v.mode === 'helm-controller' || v.traefik_metrics.enabled
      ? [helmControllerPreflight({ traefik: v.traefik_metrics.enabled }, { name: 'K3s Helm controller present', ...first })]
      : []),
    file({ path: v.manifests_dir, state: 'directory' }, { name: 'K3s auto-deploy directory' }),
    ...airgapSteps(v),
    ...adminSecret(v),
    ...alertmanagerSecret(v),
    ...(v.mode === 'helm-controller' ? controllerSteps(v) : cliSteps(v)),
  ];
}
