/**
 * One Helm release through the `helm` CLI on the host, for clusters whose operators prefer
 * it to K3s's Helm controller. The values file is written beforehand (0600, by `copy`).
 *
 *   helmRelease({ release: 'loki', chart: 'loki', repo: 'https://grafana-community.github.io/helm-charts',
 *                 version: '18.11.0', namespace: 'monitoring', valuesFile: '/etc/capstan/helm-monitoring/loki.yaml',
 *                 valuesChanged: false, timeoutS: 900 })
 *
 * `helm upgrade --install --wait` runs when the release is absent, not `deployed`, at another
 * chart version, or when this run changed its values file; otherwise nothing to do. Without
 * `helm` on the host the step fails and says so (the role never downloads it).
 */
import { change, changes, defineFact, defineModule, exec, fail, noop, sh, z } from 'capstan';

export const K3S_KUBECONFIG = '/etc/rancher/k3s/k3s.yaml';

export type HelmReleaseInfo =
  | { helm: false }
  | { helm: true; release: null }
  | { helm: true; release: { status: string; chartVersion: string } };

/** Pure: the output of the fact's script in, the release as Helm reports it out. */
export function parseHelmStatus(out: string): HelmReleaseInfo {
  const text = out.trim();
  if (text === 'no-helm') return { helm: false };
  if (text === 'absent' || text === '') return { helm: true, release: null };
  const s = JSON.parse(text) as { info?: { status?: string }; chart?: { metadata?: { version?: string } } };
  return { helm: true, release: { status: s.info?.status ?? 'unknown', chartVersion: s.chart?.metadata?.version ?? '' } };
}

export const helmReleaseInfo = defineFact<{ release: string; namespace: string }, HelmReleaseInfo>({
  name: 'helm.release',
  command: ({ release, namespace }) => 'command -v helm >/dev/null 2>&1 || { echo no-helm; exit 0; }; ' +
    String(sh`KUBECONFIG=${K3S_KUBECONFIG} helm status ${release} --namespace ${namespace} -o json 2>/dev/null || echo absent`),
  parse: (out) => parseHelmStatus(out),
});

const args = z.object({
  release: z.string().regex(/^[a-z0-9-]+$/),
  chart: z.string().min(1),
  repo: z.string().optional(),
  version: z.string().min(1),
  namespace: z.string().min(1),
  valuesFile: z.string().startsWith('/'),
  valuesChanged: z.boolean().default(false),
  timeoutS: z.number().int().positive(),
}).strict();

type Args = z.output<typeof args>;

/** The one command that installs or upgrades the release and waits for it. */
export function upgradeCommand(a: Args) {
  const source = a.repo ? sh`${a.chart} --repo ${a.repo}` : sh`${a.chart}`;
  return String(sh`helm upgrade --install ${a.release} `) + String(source) +
    String(sh` --version ${a.version} --namespace ${a.namespace} --create-namespace --values ${a.valuesFile} --wait --timeout ${`${a.timeoutS}s`}`);
}

export function helmReasons(a: Args, info: HelmReleaseInfo): string[] {
  if (!info.helm) return [];
  const r = info.release;
  return [
    !r && 'not installed',
    r && r.status !== 'deployed' && `status ${r.status}`,
    r && r.chartVersion !== a.version && `chart ${r.chartVersion} -> ${a.version}`,
    r && a.valuesChanged && 'values changed',
  ].filter((x): x is string => Boolean(x));
}

export const helmRelease = defineModule({
  name: 'helm.release',
  args,
  describe: (a) => `helm release ${a.namespace}/${a.release}`,
  facts: (a) => ({ info: helmReleaseInfo({ release: a.release, namespace: a.namespace }) }),
  plan: (a, { info }) => {
    if (!info.helm) return fail(`helm is not installed on this host; install it, or use mode helm-controller (no helm needed)`);
    const reasons = helmReasons(a, info);
    if (!reasons.length) return noop(`release ${a.release} is deployed at ${a.version}`);
    return changes(change(`helm upgrade --install ${a.release} ${a.version} (${reasons.join(', ')})`,
      exec(upgradeCommand(a), { env: { KUBECONFIG: K3S_KUBECONFIG }, timeoutMs: (a.timeoutS + 60) * 1000 })));
  },
});
