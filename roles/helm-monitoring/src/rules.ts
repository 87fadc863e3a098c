/**
 * Prometheus rule groups for the roadmap's capacity signals and Traefik, built from the
 * `alerts` thresholds. They go into kube-prometheus-stack's `additionalPrometheusRulesMap`
 * (emitted verbatim, so `{{ $labels.x }}` survives) and, in tests, through `promtool`.
 *
 *   ruleGroups(monitoringVars.parse({ ... }).alerts)   // { 'k3s-capacity': { groups: [...] }, traefik: { groups: [...] } }
 *   rulesFileYaml(alerts)                              // one Prometheus rules file with every group
 *
 * The expressions reuse the node-exporter mixin's forms that kube-prometheus-stack ships.
 */
import { stringify } from 'yaml';
import type { MonitoringVars } from './vars.ts';

export type Alerts = MonitoringVars['alerts'];

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleGroup { name: string; rules: Rule[] }

const NODE = 'job="node-exporter"';
const FS = `${NODE},fstype!~"tmpfs|overlay|squashfs",mountpoint!=""`;

export const CPU_RECORD = 'instance:node_cpu_utilisation:percent';
export const MEM_RECORD = 'instance:node_memory_utilisation:percent';
export const CLUSTER_CPU_RECORD = 'cluster:node_cpu_utilisation:avg_percent';
export const STAY_RECORD = 'cluster:k3s_stay_single_node:bool';

function capacity(a: Alerts): RuleGroup {
  return {
    name: 'k3s-capacity',
    rules: [
      { record: CPU_RECORD, expr: `sum without (mode) (avg without (cpu) (rate(node_cpu_seconds_total{${NODE},mode!~"idle|iowait|steal"}[5m]))) * 100` },
      { record: MEM_RECORD, expr: `100 - (node_memory_MemAvailable_bytes{${NODE}} / node_memory_MemTotal_bytes{${NODE}} * 100)` },
      { record: CLUSTER_CPU_RECORD, expr: `avg(${CPU_RECORD})` },
      { record: STAY_RECORD, expr: `${CLUSTER_CPU_RECORD} < bool ${a.cpu_stay_pct}` },
      {
        alert: 'K3sScaleOutCPU', expr: `${CPU_RECORD} > ${a.cpu_scale_out_pct}`, for: a.cpu_for,
        labels: { severity: 'warning', roadmap: 'stage3' },
        annotations: {
          summary: `CPU above ${a.cpu_scale_out_pct}% for ${a.cpu_for} on {{ $labels.instance }}`,
          description: `CPU is at {{ printf "%.0f" $value }}% on {{ $labels.instance }}: add an agent (roadmap stage 3).`,
        },
      },
      {
        alert: 'K3sScaleOutMemory', expr: `${MEM_RECORD} > ${a.mem_scale_out_pct}`, for: a.mem_for,
        labels: { severity: 'warning', roadmap: 'stage3' },
        annotations: {
          summary: `Memory above ${a.mem_scale_out_pct}% for ${a.mem_for} on {{ $labels.instance }}`,
          description: `Memory is at {{ printf "%.0f" $value }}% on {{ $labels.instance }}: add an agent (roadmap stage 3).`,
        },
      },
      {
        alert: 'K3sDiskFillingUp',
        expr: `node_filesystem_avail_bytes{${FS}} / node_filesystem_size_bytes{${FS}} * 100 < ${a.disk_free_pct} and node_filesystem_readonly{${FS}} == 0`,
        for: a.disk_for, labels: { severity: 'warning' },
        annotations: {
          summary: `Less than ${a.disk_free_pct}% free on {{ $labels.instance }} {{ $labels.mountpoint }}`,
          description: `{{ printf "%.1f" $value }}% free on {{ $labels.mountpoint }} ({{ $labels.device }}) of {{ $labels.instance }}.`,
        },
      },
      {
        alert: 'K3sNodeDown', expr: `up{${NODE}} == 0`, for: a.node_down_for, labels: { severity: 'critical' },
        annotations: { summary: 'Node exporter on {{ $labels.instance }} is down', description: `{{ $labels.instance }} has not been scraped for ${a.node_down_for}: the node is down or unreachable.` },
      },
      {
        alert: 'K3sNodeNotReady', expr: 'kube_node_status_condition{condition="Ready",status="true"} == 0', for: a.node_down_for, labels: { severity: 'critical' },
        annotations: { summary: 'Node {{ $labels.node }} is not Ready', description: `Kubernetes has reported node {{ $labels.node }} not Ready for ${a.node_down_for}.` },
      },
    ],
  };
}

function ratio(by: 'service' | 'entrypoint', a: Alerts): string {
  const metric = by === 'service' ? 'traefik_service_requests_total' : 'traefik_entrypoint_requests_total';
  return `sum by (${by}) (rate(${metric}{code=~"5.."}[5m])) / sum by (${by}) (rate(${metric}[5m])) > ${a.http_5xx_ratio}`;
}

function traefik(a: Alerts): RuleGroup {
  const pctText = `${+(a.http_5xx_ratio * 100).toFixed(2)}%`;
  return {
    name: 'traefik',
    rules: [
      {
        alert: 'TraefikServiceHigh5xxRatio', expr: ratio('service', a), for: a.http_5xx_for, labels: { severity: 'warning' },
        annotations: { summary: `More than ${pctText} of requests to {{ $labels.service }} fail with 5xx`, description: '{{ $value | humanizePercentage }} 5xx ratio on {{ $labels.service }}.' },
      },
      {
        alert: 'TraefikEntrypointHigh5xxRatio', expr: ratio('entrypoint', a), for: a.http_5xx_for, labels: { severity: 'warning' },
        annotations: { summary: `More than ${pctText} of requests on entrypoint {{ $labels.entrypoint }} fail with 5xx`, description: '{{ $value | humanizePercentage }} 5xx ratio on {{ $labels.entrypoint }}.' },
      },
      {
        alert: 'TraefikDown', expr: 'up{job="traefik"} == 0', for: '5m', labels: { severity: 'critical' },
        annotations: { summary: 'Traefik metrics endpoint {{ $labels.instance }} is down', description: 'Prometheus cannot scrape Traefik on {{ $labels.instance }}: ingress may be down.' },
      },
    ],
  };
}

/** The rule groups by `additionalPrometheusRulesMap` key. */
export function ruleGroups(a: Alerts, withTraefik = true): Record<string, { groups: RuleGroup[] }> {
  return { 'k3s-capacity': { groups: [capacity(a)] }, ...(withTraefik ? { traefik: { groups: [traefik(a)] } } : {}) };
}

/** Every group as one Prometheus rules file (what `promtool check rules` reads). */
export function rulesFileYaml(a: Alerts, withTraefik = true): string {
  return stringify({ groups: Object.values(ruleGroups(a, withTraefik)).flatMap((g) => g.groups) }, { lineWidth: 0 });
}
