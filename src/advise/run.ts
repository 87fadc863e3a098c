/**
 * The advisor end to end: measure the hosts over SSH, take sustained CPU and memory from
 * Prometheus when a URL is given, decide, and return the report.
 *
 *   const inv = await loadInventoryView(['hosts.yml']);
 *   const report = await advise(inv, connectorFactory({}), {
 *     inventory: ['hosts.yml'], sampleSeconds: 5, uptimeSla: 99.9, prometheus: { url: 'http://10.0.0.5:9090', window: '15m' },
 *   });
 *   report.advice.plan[0]?.playbook   // 'playbooks/stage3-multi-node.ts'
 *
 * Prometheus is queried while the SSH sample runs. When it cannot be read, or has no series
 * for a host, that host keeps its SSH figures and the report says so in `warnings`.
 */
import type { ConnectorFactory } from '../connectors/connector.ts';
import type { InventoryView } from '../engine/inventory-view.ts';
import { decide } from './decide.ts';
import { adviseTargets, gatherNodes } from './gather.ts';
import { displayUrl, prometheusMetrics, type PrometheusOptions, type PrometheusResult } from './prometheus.ts';
import { buildReport, type AdviseReport } from './report.ts';
import type { NodeReport, Thresholds } from './types.ts';

export interface AdviseOptions {
  inventory: string[];
  sampleSeconds: number;
  limit?: string;
  forks?: number;
  uptimeSla?: number;
  prometheus?: PrometheusOptions;
  thresholds?: Thresholds;
}

export async function advise(inv: InventoryView, factory: ConnectorFactory, o: AdviseOptions): Promise<AdviseReport> {
  const targets = adviseTargets(inv, o.limit);
  const hosts = targets.map((t) => ({ name: t.name, address: inv.connection(t.name).address }));
  const fromPrometheus: Promise<PrometheusResult | Error | undefined> = o.prometheus
    ? prometheusMetrics(o.prometheus, hosts).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))))
    : Promise.resolve(undefined);
  const [sampled, prom] = await Promise.all([gatherNodes(inv, factory, { sampleSeconds: o.sampleSeconds, limit: o.limit, forks: o.forks }), fromPrometheus]);
  const warnings = [...inv.warnings];
  let nodes = sampled;
  let prometheus: AdviseReport['prometheus'] = null;
  if (prom instanceof Error) warnings.push(`${prom.message}; used the SSH sample instead`);
  else if (prom && o.prometheus) {
    nodes = mergePrometheus(sampled, prom);
    prometheus = { url: displayUrl(o.prometheus.url), window: o.prometheus.window, hosts: [...prom.byHost.keys()] };
    const missing = prom.missing.filter((h) => sampled.find((n) => n.name === h)?.status === 'ok');
    if (missing.length) warnings.push(`Prometheus has no node-exporter series for ${missing.join(', ')} (matched on the instance, node and nodename labels): used the SSH sample there`);
  }
  const measured = new Set(targets.map((t) => t.name));
  const serversLeftOut = inv.groupHosts('server').filter((h) => !measured.has(h));
  const advice = decide(nodes, {
    serversLeftOut, ...(o.uptimeSla !== undefined ? { uptimeSla: o.uptimeSla } : {}), ...(o.thresholds ? { thresholds: o.thresholds } : {}),
  });
  return buildReport({ inventory: o.inventory, sampleSeconds: o.sampleSeconds, prometheus, nodes, advice, warnings });
}

/** Replaces a measured host's CPU and memory by Prometheus's sustained figures; disk and load stay. */
export function mergePrometheus(nodes: readonly NodeReport[], prom: PrometheusResult): NodeReport[] {
  return nodes.map((n) => {
    const p = prom.byHost.get(n.name);
    if (n.status !== 'ok' || !n.metrics || !p) return n;
    return { ...n, metrics: { ...n.metrics, cpu: p.cpu, memory: p.memory } };
  });
}
