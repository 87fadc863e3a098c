/**
 * The files the role writes into the K3s auto-deploy directory: HelmChart objects for the
 * charts, a HelmChartConfig for the packaged Traefik and the dashboard ConfigMaps. Pure and
 * deterministic: the same variables always render the same bytes (golden-file tested).
 *
 *   renderManifests(v)   // [{ file: 'monitoring-kube-prometheus-stack.yaml', text, release: {...} }, ...]
 *
 * No manifest holds a secret: Grafana's admin password lives in a Secret applied on stdin.
 */
import { stringify } from 'yaml';
import { dashboardConfigMaps } from './dashboards.ts';
import { alloyValues, kpsValues, lokiValues, tempoValues, traefikValues } from './values.ts';
import { chartArchive, type ChartKey, type ChartVars, type MonitoringVars } from './vars.ts';

export interface Release {
  /** HelmChart name (= Helm release). */
  name: string;
  /** Pinned chart version; empty for the packaged Traefik (K3s owns its version). */
  version: string;
}

export interface Manifest {
  file: string;
  text: string;
  /** The Helm release the file installs or reconfigures, if any. */
  release?: Release;
}

const yaml = (doc: unknown) => stringify(doc, { lineWidth: 0 });

export const VALUES_BY_CHART: Record<ChartKey, (v: MonitoringVars) => Record<string, unknown>> = {
  kps: kpsValues, loki: lokiValues, tempo: tempoValues, alloy: alloyValues,
};

/** `spec.repo` + `spec.chart`, or the server's static URL in air-gap mode. */
export function chartSource(c: ChartVars, airgap: boolean): Record<string, string> {
  if (airgap) return { chart: `https://%{KUBERNETES_API}%/static/charts/${chartArchive(c)}` };
  if (c.repo.startsWith('oci://')) return { chart: `${c.repo.replace(/\/$/, '')}/${c.chart}` };
  return { repo: c.repo, chart: c.chart };
}

export function helmChart(v: MonitoringVars, key: ChartKey): Manifest {
  const c = v[key];
  const doc = {
    apiVersion: 'helm.cattle.io/v1',
    kind: 'HelmChart',
    metadata: { name: c.release, namespace: v.helmchart_namespace, labels: { 'app.kubernetes.io/managed-by': 'capstan' } },
    spec: {
      ...chartSource(c, Boolean(v.airgap)),
      version: c.version,
      targetNamespace: v.namespace,
      createNamespace: true,
      failurePolicy: 'abort',
      backOffLimit: 5,
      timeout: `${v.wait_timeout_s}s`,
      valuesContent: yaml(VALUES_BY_CHART[key](v)),
    },
  };
  return { file: `monitoring-${c.release}.yaml`, text: yaml(doc), release: { name: c.release, version: c.version } };
}

export function traefikConfig(v: MonitoringVars): Manifest {
  const doc = {
    apiVersion: 'helm.cattle.io/v1',
    kind: 'HelmChartConfig',
    metadata: { name: 'traefik', namespace: 'kube-system' },
    spec: { failurePolicy: 'abort', valuesContent: yaml(traefikValues(v)) },
  };
  return { file: 'traefik-config.yaml', text: yaml(doc), release: { name: 'traefik', version: '' } };
}

export function dashboardsManifest(v: MonitoringVars): Manifest {
  return { file: 'monitoring-dashboards.yaml', text: dashboardConfigMaps(v).map(yaml).join('---\n') };
}

/** The charts to install, in install order (kube-prometheus-stack first: it brings the CRDs). */
export function enabledCharts(v: MonitoringVars): ChartKey[] {
  return (['kps', 'loki', 'tempo', 'alloy'] as const).filter((k) => v[k].enabled);
}

/** Every manifest, in the order the role writes them. */
export function renderManifests(v: MonitoringVars): Manifest[] {
  return [
    ...enabledCharts(v).map((k) => helmChart(v, k)),
    ...(v.dashboards.builtin.length ? [dashboardsManifest(v)] : []),
    ...(v.traefik_metrics.enabled ? [traefikConfig(v)] : []),
  ];
}
