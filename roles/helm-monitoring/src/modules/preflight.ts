/**
 * Before anything is written: the K3s API answers, the Helm controller's CRDs exist (absent
 * when the server runs with `--disable-helm-controller`) and, when Traefik's metrics are
 * wanted, the packaged Traefik HelmChart exists (absent with `disable: [traefik]`). Read-only.
 *
 *   helmControllerPreflight({ traefik: true }, { name: 'K3s Helm controller present' })
 *
 * A host without K3s yet passes with that reason (a playbook that installs K3s first may be
 * checked as a whole); the writes and waits after it then say what is missing.
 */
import { defineFact, defineModule, fail, noop, sh, z } from 'capstan';
import { K3S_BIN } from '@capstan/k3s-server';

export const HELM_CRDS = ['helmcharts.helm.cattle.io', 'helmchartconfigs.helm.cattle.io'] as const;

export type ControllerProbe =
  | { k3s: false }
  | { k3s: true; error: string | null; crds: string[]; traefik: boolean };

/** Pure: the probe's output in, what the cluster has out. */
export function parseControllerProbe(out: string): ControllerProbe {
  if (out.trim() === 'no-k3s') return { k3s: false };
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
  const crds = HELM_CRDS.filter((c) => lines.includes(`customresourcedefinition.apiextensions.k8s.io/${c}`));
  const error = lines.find((l) => /refused|Unable to connect|error: /i.test(l) && !/NotFound/.test(l)) ?? null;
  return { k3s: true, error, crds, traefik: lines.includes('helmchart.helm.cattle.io/traefik') };
}

export const helmControllerProbe = defineFact<null, ControllerProbe>({
  name: 'k3s.helmcontroller',
  command: () => sh`b=${K3S_BIN}; ` +
    'if [ ! -x "$b" ]; then echo no-k3s; exit 0; fi; ' +
    `for c in ${HELM_CRDS.join(' ')}; do "$b" kubectl get crd "$c" -o name 2>&1; done; ` +
    '"$b" kubectl -n kube-system get helmcharts.helm.cattle.io traefik -o name 2>&1; true',
  parse: (out) => parseControllerProbe(out),
});

export const helmControllerPreflight = defineModule({
  name: 'k3s.helm-controller-preflight',
  args: z.object({ traefik: z.boolean() }).strict(),
  describe: () => 'K3s Helm controller present',
  facts: () => ({ probe: helmControllerProbe(null) }),
  plan: (a, { probe }) => {
    if (!probe.k3s) return noop('K3s is not installed on this host yet: nothing to probe');
    if (probe.error) return fail(`the K3s API does not answer: ${probe.error}`);
    const missing = HELM_CRDS.filter((c) => !probe.crds.includes(c));
    if (missing.length) return fail(`K3s has no ${missing.join(', ')} CRD: the server runs with --disable-helm-controller; enable it, or use mode helm-cli`);
    if (a.traefik && !probe.traefik) return fail('the packaged Traefik is disabled on this cluster (no HelmChart kube-system/traefik): set traefik_metrics.enabled to false');
    return noop(`the Helm controller's CRDs are present${a.traefik ? ' and Traefik is the packaged one' : ''}`);
  },
});
