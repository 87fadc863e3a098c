/**
 * etcd metrics in the monitoring stack without a variable to set by hand: the servers of the
 * inventory's `servers_group` are scraped on 2381 (K3s's etcd-expose-metrics) whenever they run
 * embedded etcd, which the inventory tells: several servers (SQLite serves one only), or the
 * first in mode cluster-init, and no external datastore. Stage 4 calls `monitoringEtcdScrape`
 * after the conversion, so a stage-2 stack starts scraping etcd without a stage-2 re-run; a
 * later stage-2 run renders the same bytes.
 *
 *   etcdEndpointsOf(v, ctx)       // { endpoints: ['10.0.0.11', '10.0.0.12', '10.0.0.13'], warnings: [] }
 *   etcdScrapeSteps(vars, ctx)    // stage 4: the step below for the kube-prometheus-stack manifest, or none
 *   monitoringEtcdScrape({ manifest: '/var/lib/rancher/k3s/server/manifests/monitoring-kube-prometheus-stack.yaml',
 *                          endpoints: ['10.0.0.11', '10.0.0.12', '10.0.0.13'] })
 */
import { isIP } from 'node:net';
import { change, changes, defineModule, fileContent, noop, predictHashed, put, z, type RoleContext, type Step } from 'capstan';
import { createHash } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { etcdScrape } from './values.ts';
import { monitoringVars, type MonitoringVars } from './vars.ts';

/** The etcd endpoints `etcd_endpoints: auto` stands for, and why some server could not be one. */
export function etcdEndpointsOf(v: Pick<MonitoringVars, 'etcd_endpoints' | 'servers_group'>, ctx: Pick<RoleContext, 'groupHosts' | 'hostVars'>): { endpoints: string[]; warnings: string[] } {
  if (v.etcd_endpoints !== 'auto') return { endpoints: v.etcd_endpoints, warnings: [] };
  const servers = ctx.groupHosts(v.servers_group);
  const first = servers[0];
  if (!first) return { endpoints: [], warnings: [] };
  const fv = ctx.hostVars(first);
  const extra = (fv.extra_config ?? {}) as Record<string, unknown>;
  const embedded = (servers.length > 1 || fv.mode === 'cluster-init') && !extra['datastore-endpoint'];
  if (!embedded) return { endpoints: [], warnings: [] };
  const address = (h: string) => String(ctx.hostVars(h).ansible_host ?? h);
  const named = servers.filter((h) => !isIP(address(h)));
  return {
    endpoints: servers.map(address).filter((a) => isIP(a)),
    warnings: named.length ? [`etcd metrics: ${named.join(', ')} ${named.length === 1 ? 'has' : 'have'} no IP address in ansible_host, so ${named.length === 1 ? 'it is' : 'they are'} not scraped; list the IPs in etcd_endpoints`] : [],
  };
}

/** The variables with `etcd_endpoints: auto` resolved from the inventory. */
export function withEtcdEndpoints(v: MonitoringVars, ctx: Pick<RoleContext, 'groupHosts' | 'hostVars'>): MonitoringVars {
  return { ...v, etcd_endpoints: etcdEndpointsOf(v, ctx).endpoints };
}

/** A kube-prometheus-stack HelmChart manifest with its `kubeEtcd` values set for `endpoints` (everything else kept). */
export function patchEtcdScrape(manifest: string, endpoints: readonly string[]): string {
  const doc = parse(manifest) as { spec?: { valuesContent?: string } };
  const values = (parse(doc.spec?.valuesContent ?? '') ?? {}) as Record<string, unknown>;
  values.kubeEtcd = etcdScrape(endpoints);
  if (!doc.spec) throw new Error('not a HelmChart manifest: no spec');
  doc.spec.valuesContent = stringify(values, { lineWidth: 0 });
  return stringify(doc, { lineWidth: 0 });
}

export const monitoringEtcdScrape = defineModule({
  name: 'k3s.monitoring-etcd-scrape',
  args: z.object({ manifest: z.string().startsWith('/'), endpoints: z.array(z.string().refine((a) => isIP(a) !== 0, 'must be an IP address')) }).strict(),
  describe: (a) => `etcd metrics of ${a.endpoints.join(', ')} in ${a.manifest}`,
  facts: (a) => ({ m: fileContent(a.manifest) }),
  plan: (a, { m }) => {
    if (!m.exists) return noop('no kube-prometheus-stack manifest: the monitoring stack (stage 2) is not installed here');
    if (!m.readable) return noop(`${a.manifest} cannot be read (${m.reason}): left as it is`);
    const want = patchEtcdScrape(m.text, a.endpoints);
    if (want === m.text) return noop(`kube-prometheus-stack already scrapes etcd on ${a.endpoints.join(', ') || 'no server'}`);
    return changes({
      ...change(`kube-prometheus-stack: scrape etcd on ${a.endpoints.join(', ')} (K3s's Helm controller upgrades the release)`, put({ dest: a.manifest, content: want, mode: '0600' })),
      diff: { path: a.manifest, before: m.text, after: want },
    });
  },
  predicts: (a, { m }) => {
    if (!m.exists || !m.readable) return [];
    const body = Buffer.from(patchEtcdScrape(m.text, a.endpoints), 'utf8');
    return predictHashed(a.manifest, { type: 'file', mode: '0600', owner: 'root', group: 'root', size: body.length, sha256: createHash('sha256').update(body).digest('hex') });
  },
  affects: ['file'],
});

/**
 * Stage 4's step: the kube-prometheus-stack manifest of an installed stack scrapes the servers'
 * etcd. Reads the helm-monitoring variables it needs from the host's variables (defaults
 * applied), without requiring the others (Grafana's password) from a play that installs nothing.
 */
export function etcdScrapeSteps(vars: Readonly<Record<string, unknown>>, ctx: Pick<RoleContext, 'groupHosts' | 'hostVars'>): Step[] {
  const s = monitoringVars.shape;
  const kps = s.kps.parse(vars.kps);
  const { endpoints } = etcdEndpointsOf({ etcd_endpoints: s.etcd_endpoints.parse(vars.etcd_endpoints), servers_group: s.servers_group.parse(vars.servers_group) }, ctx);
  if (!kps.enabled || !endpoints.length) return [];
  return [monitoringEtcdScrape({ manifest: `${s.manifests_dir.parse(vars.manifests_dir)}/monitoring-${kps.release}.yaml`, endpoints },
    { name: 'monitoring stack (stage 2, if installed) scrapes etcd on every server' })];
}
