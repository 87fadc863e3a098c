/**
 * Sustained utilisation from Prometheus (stage 2's stack): CPU averaged over a range and its
 * highest one-minute point, memory averaged over the same range, per node-exporter instance,
 * through the instant query API (GET /api/v1/query).
 *
 *   const r = await prometheusMetrics({ url: 'http://10.0.0.5:9090', window: '15m' },
 *                                     [{ name: 'server1', address: '10.0.0.5' }]);
 *   r.byHost.get('server1')   // { cpu: { average: 83.1, peak: 97.4, source: 'prometheus', windowSeconds: 900 },
 *                             //   memory: { percent: 61.2, source: 'prometheus' } }
 *   r.missing                 // hosts without series
 *
 * Series are matched to hosts by their `instance` (port dropped), `node` or `nodename` label
 * against the inventory name or the host's address. The expressions are those of the
 * monitoring stack's own rules (node-exporter mixin): idle and iowait count as idle.
 */
import { z } from 'zod';
import type { CpuMetric, NodeMetrics } from './types.ts';

export interface PrometheusOptions {
  /** Base URL of Prometheus (a path prefix such as /prometheus is kept). */
  url: string;
  /** Range to average over, in Prometheus duration syntax: 15m, 1h, 90s. */
  window: string;
  timeoutMs?: number;
}

export interface PrometheusResult {
  byHost: Map<string, Pick<NodeMetrics, 'cpu' | 'memory'>>;
  missing: string[];
}

const vectorResponse = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('vector'),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) })),
  }),
});

const errorResponse = z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() });

export interface VectorSample {
  labels: Record<string, string>;
  value: number;
}

/** Seconds in a Prometheus duration (`15m`, `1h30m`); throws on anything else. */
export function durationSeconds(d: string): number {
  const parts = [...d.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== d) throw new Error(`"${d}" is not a Prometheus duration (examples: 15m, 1h, 90s)`);
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  return parts.reduce((s, p) => s + Number(p[1]) * (unit[p[2] ?? 's'] ?? 1), 0);
}

/** The queries, by what they measure. */
export function adviseQueries(window: string): Record<'cpuAverage' | 'cpuPeak' | 'memory', string> {
  const cpu = (range: string) =>
    `100 * (1 - sum by (instance) (rate(node_cpu_seconds_total{mode=~"idle|iowait"}[${range}])) / count by (instance) (node_cpu_seconds_total{mode="idle"}))`;
  return {
    cpuAverage: cpu(window),
    cpuPeak: `max_over_time((${cpu('2m')})[${window}:1m])`,
    memory: `avg_over_time((100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes))[${window}:1m])`,
  };
}

/** The URL with its password masked, for messages and the report. */
export function displayUrl(u: string): string {
  try {
    const url = new URL(u);
    if (url.password) url.password = '***';
    return url.toString().replace(/\/$/, '');
  } catch {
    return u;
  }
}

/** One instant query; errors name the URL and what Prometheus said. Credentials in the URL go as Basic auth. */
export async function instantQuery(baseUrl: string, query: string, timeoutMs = 10_000): Promise<VectorSample[]> {
  const base = displayUrl(baseUrl);
  const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.searchParams.set('query', query);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (url.username || url.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers });
  } catch (e) {
    const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
    throw new Error(`Prometheus at ${base} did not answer: ${cause}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`Prometheus at ${base} answered HTTP ${res.status} with something that is not JSON: ${JSON.stringify(text.slice(0, 120))}`);
  }
  const err = errorResponse.safeParse(body);
  if (err.success) throw new Error(`Prometheus at ${base} rejected the query (${err.data.errorType ?? 'error'}): ${err.data.error ?? 'no message'}`);
  const ok = vectorResponse.safeParse(body);
  if (!ok.success || !res.ok) throw new Error(`Prometheus at ${base} answered HTTP ${res.status} without an instant vector: ${JSON.stringify(text.slice(0, 120))}`);
  return ok.data.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) })).filter((s) => Number.isFinite(s.value));
}

/** Which host a series belongs to, by its instance, node or nodename label. */
export function matchHost(labels: Record<string, string>, hosts: ReadonlyArray<{ name: string; address: string }>): string | undefined {
  const keys = new Set([labels.node, labels.nodename, stripPort(labels.instance)].filter((k): k is string => Boolean(k)));
  return hosts.find((h) => keys.has(h.name) || keys.has(h.address))?.name;
}

function stripPort(instance: string | undefined): string | undefined {
  if (!instance) return undefined;
  const v6 = /^\[(.+)\](?::\d+)?$/.exec(instance);
  if (v6) return v6[1];
  return instance.replace(/:\d+$/, '');
}

export async function prometheusMetrics(o: PrometheusOptions, hosts: ReadonlyArray<{ name: string; address: string }>): Promise<PrometheusResult> {
  const windowSeconds = durationSeconds(o.window);
  const q = adviseQueries(o.window);
  const [avg, peak, mem] = await Promise.all([q.cpuAverage, q.cpuPeak, q.memory].map((query) => instantQuery(o.url, query, o.timeoutMs)));
  const per = (samples: VectorSample[] = []) => {
    const m = new Map<string, number>();
    for (const s of samples) {
      const host = matchHost(s.labels, hosts);
      if (host !== undefined) m.set(host, s.value);
    }
    return m;
  };
  const [avgBy, peakBy, memBy] = [per(avg), per(peak), per(mem)];
  const byHost: PrometheusResult['byHost'] = new Map();
  for (const h of hosts) {
    const average = avgBy.get(h.name);
    const memory = memBy.get(h.name);
    if (average === undefined || memory === undefined) continue;
    const cpu: CpuMetric = { average: bound(average), peak: bound(Math.max(average, peakBy.get(h.name) ?? average)), source: 'prometheus', windowSeconds };
    byHost.set(h.name, { cpu, memory: { percent: bound(memory), source: 'prometheus' } });
  }
  return { byHost, missing: hosts.filter((h) => !byHost.has(h.name)).map((h) => h.name) };
}

function bound(n: number): number {
  return Math.min(100, Math.max(0, n));
}
