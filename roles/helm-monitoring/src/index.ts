/**
 * `@capstan/helm-monitoring`: the observability role (roadmap stage 2) and its pure renderers.
 *
 *   import { helmMonitoring } from '@capstan/helm-monitoring';
 *   definePlaybook({ plays: [{ name: 'observability', hosts: 'server', become: true,
 *     roles: [helmMonitoring.use({ grafana: { admin_password: new Secret(pw) } })] }] });
 */
export { helmMonitoring } from './role.ts';
export { monitoringVars, chartArchive, CHART_KEYS, MANIFESTS_DIR, STATIC_CHARTS_DIR, type MonitoringVars, type ChartKey, type ChartVars } from './vars.ts';
export { renderManifests, helmChart, traefikConfig, dashboardsManifest, chartSource, enabledCharts, VALUES_BY_CHART, type Manifest, type Release } from './manifests.ts';
export { kpsValues, etcdScrape, lokiValues, tempoValues, alloyValues, alloyConfig, traefikValues, mergeValues } from './values.ts';
export { ruleGroups, rulesFileYaml, CPU_RECORD, MEM_RECORD, CLUSTER_CPU_RECORD, STAY_RECORD, type Alerts, type Rule, type RuleGroup } from './rules.ts';
export { loadDashboard, dashboardFor, dashboardConfigMaps, dashboardPath, type Dashboard, type DashboardName } from './dashboards.ts';
export { helmControllerPreflight, helmControllerProbe, parseControllerProbe, HELM_CRDS, type ControllerProbe } from './modules/preflight.ts';
export { helmReleasesDeployed, helmReleaseStatus, parseReleaseStatus, releaseState, waitScript, type ReleaseStatus, type ReleaseState } from './modules/releases.ts';
export { grafanaAdminSecret, k8sSecret, k8sSecretDigest, k8sCredentialsDigest, credentialsDigest, secretDigest, secretManifest } from './modules/admin-secret.ts';
export { alertingVar, receiverVar, alertmanagerConfig, alertmanagerYaml, alertingWarnings, unroutedSeverities, SEVERITIES, type Alerting, type Receiver, type Severity } from './alerting.ts';
export { etcdEndpointsOf, withEtcdEndpoints, patchEtcdScrape, monitoringEtcdScrape, etcdScrapeSteps } from './etcd.ts';
export { helmRelease, helmReleaseInfo, parseHelmStatus, upgradeCommand, helmReasons, K3S_KUBECONFIG, type HelmReleaseInfo } from './modules/helm-cli.ts';
