/**
 * Waits, with a bound, until K3s's Helm controller has deployed the given releases, and
 * reports their status. A release is deployed when its HelmChart carries the wanted chart
 * version (the AddOn controller applied the file) and its `helm-install-<name>` Job, made
 * for that version, has succeeded. A HelmChart with condition `Failed` (failurePolicy abort)
 * fails the step at once, with the Job's log tail (the fact reads the logs only when some
 * HelmChart has failed, so a healthy cluster costs no extra kubectl).
 *
 *   helmReleasesDeployed({ namespace: 'kube-system', releases: [{ name: 'loki', version: '18.11.0' }], timeoutS: 900 },
 *                        { name: 'monitoring releases deployed' })
 *
 * Already deployed and no manifest rewritten in this run (`changed: false`): nothing to do, so a
 * re-run waits for nothing. When this run rewrote a manifest, the step waits even if the old Job
 * looks done, after `settleS` seconds for the controllers to pick the file up (a values-only
 * change keeps the chart version, so only the recreated Job tells). The packaged Traefik has no
 * pinned version (`version: ''`): its Job having succeeded is what counts.
 */
import { change, changes, defineFact, defineModule, exec, fail, noop, sh, z } from 'capstan';
import { K3S_BIN } from '@capstan/k3s-server';

export interface ReleaseStatus {
  name: string;
  /** spec.version of the HelmChart; null when there is no such HelmChart. */
  chartVersion: string | null;
  /** Message of a `Failed` condition whose status is True. */
  failed: string | null;
  /** `helm-install-<name>` Job: null when absent. */
  job: { succeeded: boolean; version: string } | null;
  /** Tail of the Job's log, read when the HelmChart has failed; null otherwise. */
  log: string | null;
}

export type ReleaseState = 'deployed' | 'missing' | 'installing' | 'failed';

interface K8sList { items?: Record<string, unknown>[] }

const SEP = '---capstan-jobs---';
const LOG = '---capstan-log-';

function parseList(text: string): Record<string, unknown>[] {
  try {
    return (JSON.parse(text) as K8sList).items ?? [];
  } catch {
    return [];
  }
}

const at = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((x, k) => (x !== null && typeof x === 'object' ? (x as Record<string | number, unknown>)[k] : undefined), o);

/** Pure: `kubectl get helmcharts -o json`, the separator, `kubectl get jobs -o json` in; status per release out. */
export function parseReleaseStatus(out: string, names: readonly string[]): ReleaseStatus[] {
  const [charts = '', rest = ''] = out.split(SEP);
  const [jobs = '', ...logParts] = rest.split(LOG);
  const logs = new Map(logParts.map((p) => [p.slice(0, p.indexOf('---')), p.slice(p.indexOf('\n') + 1).trim()]));
  const chartItems = parseList(charts);
  const jobItems = parseList(jobs);
  return names.map((name) => {
    const hc = chartItems.find((i) => at(i, 'metadata', 'name') === name);
    const conditions = (at(hc, 'status', 'conditions') as { type?: string; status?: string; message?: string }[] | undefined) ?? [];
    const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
    const job = jobItems.find((i) => at(i, 'metadata', 'name') === `helm-install-${name}`);
    const env = (at(job, 'spec', 'template', 'spec', 'containers', 0, 'env') as { name?: string; value?: string }[] | undefined) ?? [];
    return {
      name,
      chartVersion: hc ? String(at(hc, 'spec', 'version') ?? '') : null,
      failed: failed ? (failed.message || 'Failed') : null,
      job: job ? { succeeded: Number(at(job, 'status', 'succeeded') ?? 0) >= 1, version: env.find((e) => e.name === 'VERSION')?.value ?? '' } : null,
      log: failed ? (logs.get(name) || null) : null,
    };
  });
}

export function releaseState(want: { version: string }, s: ReleaseStatus): ReleaseState {
  if (s.chartVersion === null) return 'missing';
  if (s.failed && s.chartVersion === want.version) return 'failed';
  return s.chartVersion === want.version && s.job?.succeeded && s.job.version === want.version ? 'deployed' : 'installing';
}

export const helmReleaseStatus = defineFact<{ namespace: string; names: string[] }, ReleaseStatus[]>({
  name: 'k3s.helmreleases',
  command: ({ namespace, names }) => sh`b=${K3S_BIN}; ns=${namespace}; names=${names.join(' ')}; ` +
    `if [ -x "$b" ]; then c=$("$b" kubectl -n "$ns" get helmcharts.helm.cattle.io -o json 2>/dev/null); printf '%s\\n' "$c"; echo ${SEP}; "$b" kubectl -n "$ns" get jobs -o json 2>/dev/null; ` +
    `case "$c" in *'"Failed"'*) for n in $names; do echo "${LOG}$n---"; "$b" kubectl -n "$ns" logs "job/helm-install-$n" --tail=20 2>/dev/null; done;; esac; fi; true`,
  parse: (out, _rc, { names }) => parseReleaseStatus(out, names),
});

const args = z.object({
  namespace: z.string().min(1),
  releases: z.array(z.object({ name: z.string().regex(/^[a-z0-9-]+$/), version: z.string().regex(/^[0-9A-Za-z.+-]*$/) }).strict()).min(1),
  timeoutS: z.number().int().positive(),
  /** A manifest of these releases was written by this run. */
  changed: z.boolean().default(false),
  settleS: z.number().int().min(0).default(5),
}).strict();

type Args = z.output<typeof args>;

/** The polling script: the same rules as `releaseState`, read with jsonpath (no jq on servers). */
export function waitScript(a: Args) {
  const list = a.releases.map((r) => `${r.name}=${r.version}`);
  const get = (kind: string, path: string) => `"$b" kubectl -n "$ns" get ${kind} -o 'jsonpath=${path}' 2>/dev/null`;
  return String(sh`b=${K3S_BIN}; ns=${a.namespace}; t=${String(a.timeoutS)}; end=$(( $(date +%s) + t )); `) + (a.changed ? `sleep ${a.settleS}; ` : '') + (
    'while :; do pending=; ' +
    `for rv in ${list.map((x) => `'${x}'`).join(' ')}; do n=\${rv%%=*}; v=\${rv#*=}; ` +
    `sv=$(${get('helmcharts.helm.cattle.io "$n"', '{.spec.version}')}) || sv='(no HelmChart)'; ` +
    `f=$(${get('helmcharts.helm.cattle.io "$n"', '{.status.conditions[?(@.type=="Failed")].status}')}); ` +
    `s=$(${get('job "helm-install-$n"', '{.status.succeeded}')}); ` +
    `jv=$(${get('job "helm-install-$n"', '{.spec.template.spec.containers[0].env[?(@.name=="VERSION")].value}')}); ` +
    'if [ "$f" = True ] && [ "$sv" = "$v" ]; then echo "HelmChart $n failed (failurePolicy abort); its install job log:" >&2; ' +
    '"$b" kubectl -n "$ns" logs "job/helm-install-$n" --tail=20 >&2 2>/dev/null; exit 1; fi; ' +
    '[ "$sv" = "$v" ] && [ "$s" = 1 ] && [ "$jv" = "$v" ] || pending="$pending $n(chart=${sv:-none},job=${s:-0}@${jv:-none})"; done; ' +
    '[ -z "$pending" ] && { echo "deployed: ' + list.join(' ') + '"; exit 0; }; ' +
    'if [ "$(date +%s)" -ge "$end" ]; then echo "not deployed after ${t}s:$pending" >&2; exit 1; fi; sleep 3; done');
}

function describeAll(a: Args, status: ReleaseStatus[]): string {
  return a.releases.map((r, i) => {
    const s = status[i];
    return `${r.name}${r.version ? ` ${r.version}` : ''}: ${s ? releaseState(r, s) : 'missing'}`;
  }).join(', ');
}

export const helmReleasesDeployed = defineModule({
  name: 'k3s.helm-releases',
  args,
  describe: (a) => `releases ${a.releases.map((r) => r.name).join(', ')} deployed`,
  facts: (a) => ({ status: helmReleaseStatus({ namespace: a.namespace, names: a.releases.map((r) => r.name) }) }),
  plan: (a, { status }) => {
    const states = a.releases.map((r, i) => releaseState(r, status[i] ?? { name: r.name, chartVersion: null, failed: null, job: null, log: null }));
    const failedAt = a.changed ? -1 : states.indexOf('failed');
    if (failedAt >= 0) {
      const s = status[failedAt];
      const log = s?.log ? `; its install job log:\n${s.log}\n` : `; see \`k3s kubectl -n ${a.namespace} logs job/helm-install-${s?.name}\``;
      return fail(`HelmChart ${s?.name} ${s?.chartVersion} failed: ${s?.failed}${log}; then fix the chart source, version or values (or delete the HelmChart) and re-run`);
    }
    if (!a.changed && states.every((s) => s === 'deployed')) return noop(`deployed: ${describeAll(a, status)}`);
    const why = a.changed ? ' (manifests changed)' : '';
    return changes(change(`wait up to ${a.timeoutS}s for ${describeAll(a, status)}${why}`, exec(waitScript(a), { timeoutMs: (a.timeoutS + 60) * 1000 })));
  },
});
