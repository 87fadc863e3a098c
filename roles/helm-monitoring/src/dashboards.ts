/**
 * The role's Grafana dashboards (K3s capacity, Traefik, an application) and the
 * ConfigMaps that carry them to Grafana's dashboard sidecar (label `grafana_dashboard: "1"`,
 * folder from the `grafana_folder` annotation).
 *
 *   loadDashboard('k3s')                              // the parsed JSON model
 *   dashboardConfigMaps(v)                            // one ConfigMap object per dashboard
 *
 * Panels query Prometheus through the `${datasource}` variable (default uid `prometheus`, the
 * uid kube-prometheus-stack provisions); the application dashboard also reads Loki (uid
 * `loki`) and Tempo (uid `tempo`), the data sources the role adds to Grafana.
 */
import { readFileSync } from 'node:fs';
import { roleFile } from 'capstan';
import type { MonitoringVars } from './vars.ts';

export type DashboardName = MonitoringVars['dashboards']['builtin'][number];
export type Dashboard = { uid: string; title: string; panels: unknown[]; templating: { list: Record<string, unknown>[] } } & Record<string, unknown>;

export function dashboardPath(name: DashboardName): string {
  return roleFile(import.meta.url, `../dashboards/${name}.json`);
}

export function loadDashboard(name: DashboardName): Dashboard {
  return JSON.parse(readFileSync(dashboardPath(name), 'utf8')) as Dashboard;
}

/** The dashboard as shipped, with the application dashboard's namespace preset. */
export function dashboardFor(name: DashboardName, v: MonitoringVars): Dashboard {
  const d = loadDashboard(name);
  if (name !== 'app') return d;
  const list = d.templating.list.map((t) => t.name === 'namespace'
    ? { ...t, current: { text: v.dashboards.app_namespace, value: v.dashboards.app_namespace } }
    : t);
  return { ...d, templating: { list } };
}

export function dashboardConfigMaps(v: MonitoringVars): Record<string, unknown>[] {
  return v.dashboards.builtin.map((name) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `capstan-dashboard-${name}`,
      namespace: v.namespace,
      labels: { grafana_dashboard: '1', 'app.kubernetes.io/managed-by': 'capstan' },
      annotations: { grafana_folder: v.dashboards.folder },
    },
    data: { [`capstan-${name}.json`]: `${JSON.stringify(dashboardFor(name, v), null, 2)}\n` },
  }));
}
