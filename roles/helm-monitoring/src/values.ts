/**
 * Chart values the role writes, one pure function per chart, each the values that matter on
 * K3s (spec §5.3-§5.5), with the user's `values` merged over them (user keys win).
 *
 *   kpsValues(v)      // kube-prometheus-stack: selectors open, K3s components off, rules, Grafana sidecar
 *   lokiValues(v)     // Loki single binary on the filesystem with compactor retention
 *   traefikValues(v)  // HelmChartConfig values for the packaged Traefik's metrics
 */
import { Scalar } from 'yaml';
import { ruleGroups } from './rules.ts';
import type { MonitoringVars } from './vars.ts';

type Values = Record<string, unknown>;

function isPlain(x: unknown): x is Values {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Deep merge for chart values: objects merge key by key, anything else (arrays too) is replaced. */
export function mergeValues(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    const b = out[k];
    out[k] = isPlain(b) && isPlain(v) ? mergeValues(b, v) : v;
  }
  return out;
}

/** A string always written in double quotes (a bare 2024-04-01 is a timestamp to YAML 1.1 readers). */
function quoted(text: string): Scalar {
  return Object.assign(new Scalar(text), { type: Scalar.QUOTE_DOUBLE });
}

const svc = (v: MonitoringVars, name: string, port?: number) => `http://${name}.${v.namespace}.svc.cluster.local${port ? `:${port}` : ''}`;

const pvc = (v: MonitoringVars, size: string) => ({
  volumeClaimTemplate: { spec: { storageClassName: v.storage.class, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } } },
});

function grafanaValues(v: MonitoringVars): Values {
  return {
    admin: { existingSecret: v.grafana.admin_secret_name, userKey: 'admin-user', passwordKey: 'admin-password' },
    persistence: { enabled: true, type: 'pvc', storageClassName: v.storage.class, size: v.grafana.persistence_size },
    sidecar: {
      dashboards: { enabled: true, label: 'grafana_dashboard', labelValue: '1', searchNamespace: 'ALL', folderAnnotation: 'grafana_folder', provider: { foldersFromFilesStructure: true } },
      datasources: { enabled: true, uid: 'prometheus' },
    },
    additionalDataSources: [
      ...(v.loki.enabled ? [{ name: 'Loki', type: 'loki', uid: 'loki', access: 'proxy', url: svc(v, 'loki-gateway') }] : []),
      ...(v.tempo.enabled ? [{
        name: 'Tempo', type: 'tempo', uid: 'tempo', access: 'proxy', url: svc(v, v.tempo.release, 3200),
        jsonData: { tracesToLogsV2: v.loki.enabled ? { datasourceUid: 'loki' } : undefined, serviceMap: { datasourceUid: 'prometheus' } },
      }] : []),
    ],
    ...(v.grafana.ingress_host ? { ingress: { enabled: true, ingressClassName: 'traefik', hosts: [v.grafana.ingress_host] } } : {}),
  };
}

/** kube-prometheus-stack's `kubeEtcd`: the servers' etcd metrics (etcd-expose-metrics, port 2381), or off. */
export function etcdScrape(endpoints: readonly string[]): Values {
  return endpoints.length ? { enabled: true, endpoints: [...endpoints], service: { enabled: true, port: 2381, targetPort: 2381 } } : { enabled: false };
}

export function kpsValues(v: MonitoringVars): Values {
  const endpoints = v.etcd_endpoints === 'auto' ? [] : v.etcd_endpoints;
  const base: Values = {
    prometheus: {
      prometheusSpec: {
        retention: v.retention.prometheus,
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        storageSpec: pvc(v, v.storage.prometheus),
      },
    },
    alertmanager: {
      alertmanagerSpec: {
        storage: pvc(v, v.storage.alertmanager),
        // receivers hold credentials: their configuration is a Secret the role applies, not chart values
        ...(v.alerting.receivers.length ? { useExistingSecret: true, configSecret: v.alerting.secret_name } : {}),
      },
    },
    grafana: grafanaValues(v),
    kubeControllerManager: { enabled: false },
    kubeScheduler: { enabled: false },
    kubeProxy: { enabled: false },
    kubeEtcd: etcdScrape(endpoints),
    additionalPrometheusRulesMap: ruleGroups(v.alerts, v.traefik_metrics.enabled),
  };
  return mergeValues(base, v.kps.values);
}

export function lokiValues(v: MonitoringVars): Values {
  const base: Values = {
    deploymentMode: 'Monolithic',
    loki: {
      auth_enabled: false,
      commonConfig: { replication_factor: 1 },
      storage: { type: 'filesystem' },
      schemaConfig: { configs: [{ from: quoted('2024-04-01'), store: 'tsdb', object_store: 'filesystem', schema: 'v13', index: { prefix: 'loki_index_', period: '24h' } }] },
      compactor: { retention_enabled: true, delete_request_store: 'filesystem' },
      limits_config: { retention_period: v.retention.loki },
    },
    singleBinary: { replicas: 1, persistence: { enabled: true, size: v.storage.loki, storageClass: v.storage.class } },
    read: { replicas: 0 },
    write: { replicas: 0 },
    backend: { replicas: 0 },
    chunksCache: { enabled: false },
    resultsCache: { enabled: false },
    minio: { enabled: false },
    monitoring: { serviceMonitor: { enabled: v.kps.enabled } },
  };
  return mergeValues(base, v.loki.values);
}

export function tempoValues(v: MonitoringVars): Values {
  const base: Values = {
    tempo: {
      retention: v.retention.tempo,
      storage: { trace: { backend: 'local' } },
      receivers: { otlp: { protocols: { grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } } } },
    },
    persistence: { enabled: true, size: v.storage.tempo, storageClassName: v.storage.class },
    serviceMonitor: { enabled: v.kps.enabled },
  };
  return mergeValues(base, v.tempo.values);
}

/** Alloy's pipeline: every pod's log, labelled by namespace, pod and container, pushed to Loki. */
export function alloyConfig(v: MonitoringVars): string {
  return [
    'discovery.kubernetes "pods" {',
    '  role = "pod"',
    '}',
    '',
    'discovery.relabel "pods" {',
    '  targets = discovery.kubernetes.pods.targets',
    '  rule {',
    '    source_labels = ["__meta_kubernetes_namespace"]',
    '    target_label  = "namespace"',
    '  }',
    '  rule {',
    '    source_labels = ["__meta_kubernetes_pod_name"]',
    '    target_label  = "pod"',
    '  }',
    '  rule {',
    '    source_labels = ["__meta_kubernetes_pod_container_name"]',
    '    target_label  = "container"',
    '  }',
    '  rule {',
    '    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]',
    '    target_label  = "app"',
    '  }',
    '}',
    '',
    'loki.source.kubernetes "pods" {',
    '  targets    = discovery.relabel.pods.output',
    '  forward_to = [loki.write.default.receiver]',
    '}',
    '',
    'loki.write "default" {',
    '  endpoint {',
    `    url = "${svc(v, 'loki-gateway')}/loki/api/v1/push"`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export function alloyValues(v: MonitoringVars): Values {
  const base: Values = {
    controller: { type: 'daemonset' },
    alloy: { configMap: { create: true, content: alloyConfig(v) } },
    serviceMonitor: { enabled: v.kps.enabled },
  };
  return mergeValues(base, v.alloy.values);
}

/** Values for the packaged Traefik: metrics on their own entry point, a Service, a ServiceMonitor. */
export function traefikValues(v: MonitoringVars): Values {
  const t = v.traefik_metrics;
  return {
    deployment: { podAnnotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(t.port) } },
    ports: { metrics: { port: t.port, expose: { default: false } } },
    metrics: {
      prometheus: {
        entryPoint: 'metrics',
        addEntryPointsLabels: true,
        addServicesLabels: true,
        addRoutersLabels: t.add_routers_labels,
        service: { enabled: true },
        serviceMonitor: t.service_monitor ? { enabled: true, jobLabel: 'app.kubernetes.io/name', interval: '30s' } : { enabled: false },
      },
    },
  };
}
