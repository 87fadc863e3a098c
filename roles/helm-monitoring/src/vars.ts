/**
 * The helm-monitoring role's variables: a zod schema with documented defaults. Every host's
 * values are validated before any connection; errors name the variable path.
 *
 *   helmMonitoring.use({ grafana: { admin_password: new Secret(pw) }, kps: { version: '88.5.3' },
 *                        alerts: { cpu_scale_out_pct: 75 } })
 *
 * Chart versions are pinned here (spec §5.2 research snapshot); re-check them before use.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirVar, k3sPaths, secretVar } from '@capstan/k3s-server';
import { z } from 'capstan';
import { alertingVar } from './alerting.ts';

export const MANIFESTS_DIR = k3sPaths().manifests;
export const STATIC_CHARTS_DIR = k3sPaths().staticCharts;

const name = (what: string) => z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${what} must be a lowercase RFC 1123 name`).max(53);
const duration = z.string().regex(/^([0-9]+(ms|s|m|h|d|w|y))+$/, 'must be a Prometheus duration such as 30m or 1h30m');
const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti)$/, 'must be a size such as 10Gi');
const pct = z.number().gt(0).lt(100);
/** Chart values merged over the role's own (user values win); a plain object. */
const values = z.record(z.string(), z.unknown()).default({});
const version = z.string().regex(/^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$/, 'must be a pinned chart version such as 88.5.3');

const chart = (d: { release: string; repo: string; chart: string; version: string }) => z.object({
  enabled: z.boolean().default(true),
  release: name('release').default(d.release),
  repo: z.string().regex(/^(https?|oci):\/\/\S+$/, 'must be an http(s):// or oci:// chart repository').default(d.repo),
  chart: name('chart').default(d.chart),
  version: version.default(d.version),
  values,
}).strict().prefault({});

const GRAFANA_COMMUNITY = 'https://grafana-community.github.io/helm-charts';

/** A controller directory holding `<chart>-<version>.tgz` for every enabled chart. */
const chartsDir = z.string().min(1).superRefine((dir, ctx) => {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) ctx.addIssue({ code: 'custom', message: `air-gap charts directory ${dir} does not exist on the controller` });
});

export const monitoringVars = z.object({
  mode: z.enum(['helm-controller', 'helm-cli']).default('helm-controller')
    .describe('helm-controller: HelmChart manifests in the K3s auto-deploy directory (no helm binary); helm-cli: `helm upgrade --install` on the host'),
  namespace: name('namespace').default('monitoring').describe('namespace of every release'),
  helmchart_namespace: name('helmchart_namespace').default('kube-system').describe('where HelmChart objects live'),
  manifests_dir: z.string().startsWith('/').default(MANIFESTS_DIR).describe('K3s auto-deploy directory (servers only; default <k3s_data_dir>/server/manifests)'),
  k3s_data_dir: dataDirVar,
  kps: chart({ release: 'kube-prometheus-stack', repo: 'https://prometheus-community.github.io/helm-charts', chart: 'kube-prometheus-stack', version: '88.5.3' }),
  loki: chart({ release: 'loki', repo: GRAFANA_COMMUNITY, chart: 'loki', version: '18.11.0' }),
  tempo: chart({ release: 'tempo', repo: GRAFANA_COMMUNITY, chart: 'tempo', version: '2.2.4' }),
  alloy: chart({ release: 'alloy', repo: 'https://grafana.github.io/helm-charts', chart: 'alloy', version: '1.5.1' })
    .describe('log shipper (DaemonSet) sending every pod log to Loki; enabled: false for none'),
  traefik_metrics: z.object({
    enabled: z.boolean().default(true),
    port: z.number().int().min(1024).max(65535).default(9100),
    add_routers_labels: z.boolean().default(false),
    service_monitor: z.boolean().default(true),
  }).strict().prefault({}).describe('HelmChartConfig for the packaged Traefik: metrics Service, ServiceMonitor, corrected scrape annotation'),
  grafana: z.object({
    admin_user: z.string().min(1).default('admin'),
    admin_password: secretVar('grafana.admin_password').optional(),
    admin_secret_name: name('grafana.admin_secret_name').default('grafana-admin'),
    persistence_size: quantity.default('5Gi'),
    ingress_host: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS name').optional(),
  }).strict().prefault({}).describe('the admin password is a Secret: it travels on stdin into a Kubernetes Secret, never into a manifest'),
  storage: z.object({
    class: z.string().min(1).default('local-path'),
    prometheus: quantity.default('20Gi'),
    alertmanager: quantity.default('2Gi'),
    loki: quantity.default('10Gi'),
    tempo: quantity.default('10Gi'),
  }).strict().prefault({}),
  retention: z.object({ prometheus: duration.default('10d'), loki: duration.default('168h'), tempo: duration.default('24h') }).strict().prefault({}),
  alerts: z.object({
    cpu_scale_out_pct: pct.default(80), cpu_for: duration.default('30m'),
    mem_scale_out_pct: pct.default(90), mem_for: duration.default('15m'),
    cpu_stay_pct: pct.default(70),
    disk_free_pct: pct.default(15), disk_for: duration.default('30m'),
    node_down_for: duration.default('5m'),
    http_5xx_ratio: z.number().gt(0).lt(1).default(0.05), http_5xx_for: duration.default('10m'),
  }).strict().prefault({}).describe('roadmap thresholds: scale out above, stay single-node below cpu_stay_pct'),
  dashboards: z.object({
    builtin: z.array(z.enum(['k3s', 'traefik', 'app'])).default(['k3s', 'traefik', 'app']),
    app_namespace: z.string().min(1).default('default').describe('namespace the application dashboard selects by default'),
    folder: z.string().min(1).default('Capstan'),
  }).strict().prefault({}),
  alerting: alertingVar.prefault({}).describe('Alertmanager receivers (webhook, email, slack) by severity; their URLs and passwords are Secrets, applied as a Kubernetes Secret'),
  etcd_endpoints: z.union([z.literal('auto'), z.array(z.string().regex(/^[0-9a-fA-F.:]+$/, 'must be an IP address'))]).default('auto')
    .describe('etcd metrics (etcd-expose-metrics, port 2381) to scrape; auto: the ansible_host of every host of servers_group when the servers run embedded etcd (several servers, or mode cluster-init), none otherwise'),
  servers_group: z.string().min(1).default('server').describe('inventory group of the K3s servers (for etcd_endpoints: auto)'),
  airgap: z.object({ charts_dir: chartsDir }).strict().optional()
    .describe('controller directory with <chart>-<version>.tgz for every enabled chart, served from the server static directory'),
  wait_timeout_s: z.number().int().min(10).max(7200).default(900).describe('bound on waiting for all releases to be deployed'),
  values_dir: z.string().startsWith('/').default('/etc/capstan/helm-monitoring').describe('helm-cli mode: where values files (0600) are kept'),
}).strict().superRefine((v, ctx) => {
  if (v.kps.enabled && !v.grafana.admin_password) ctx.addIssue({ code: 'custom', path: ['grafana', 'admin_password'], message: 'grafana.admin_password is required (a Secret, or a string from a vault-encrypted inventory)' });
  if (v.traefik_metrics.service_monitor && !v.kps.enabled) ctx.addIssue({ code: 'custom', path: ['traefik_metrics', 'service_monitor'], message: 'a Traefik ServiceMonitor needs kube-prometheus-stack (its CRDs); disable one of them' });
  if (v.airgap) {
    for (const key of CHART_KEYS) {
      const c = v[key];
      if (c.enabled && !existsSync(join(v.airgap.charts_dir, chartArchive(c)))) ctx.addIssue({ code: 'custom', path: ['airgap', 'charts_dir'], message: `${v.airgap.charts_dir} has no ${chartArchive(c)} (${key})` });
    }
  }
});

export const CHART_KEYS = ['kps', 'loki', 'tempo', 'alloy'] as const;
export type ChartKey = (typeof CHART_KEYS)[number];
export type MonitoringVars = z.output<typeof monitoringVars>;
export type ChartVars = MonitoringVars[ChartKey];

/** The archive name `helm pull` produces for a chart version. */
export function chartArchive(c: { chart: string; version: string }): string {
  return `${c.chart}-${c.version}.tgz`;
}
