/**
 * Readiness with a bounded wait: the API server answers /readyz, the node is Ready and
 * runs the desired version (the running kubelet, not only the binary on disk).
 *
 *   k3sReady({ node: 'server1', version: 'v1.32.11+k3s3', apiserver: true, timeoutS: 300 })
 *   k3sReady({ node: 'agent1', version, apiserver: false, timeoutS: 300 }, { delegateTo: 'server1' })
 *
 * Already ready: nothing to do. Otherwise it polls every 2 s up to the timeout and fails
 * with the last status seen and the tail of the K3s journal of the host it runs on.
 */
import { change, changes, defineModule, exec, noop, sh, z } from 'capstan';
import { K3S_BIN, k3sNodeStatus, type K3sNodeStatus } from '../facts.ts';

const args = z.object({
  node: z.string().min(1),
  version: z.string().min(1),
  apiserver: z.boolean(),
  timeoutS: z.number().int().positive(),
}).strict();

type Args = z.output<typeof args>;

export function isReady(a: Pick<Args, 'version' | 'apiserver'>, s: K3sNodeStatus): boolean {
  return (!a.apiserver || s.readyz === 'ok') && s.nodeReady === 'True' && s.kubeletVersion === a.version;
}

function waitScript(a: Args) {
  const readyz = a.apiserver ? sh`[ "$("$b" kubectl get --raw=/readyz 2>/dev/null)" = ok ] && ` : '';
  return sh`b=${K3S_BIN}; n=${a.node}; want=${a.version}; t=${String(a.timeoutS)}; end=$(( $(date +%s) + t )); ` +
    `while :; do ` +
    `r=$("$b" kubectl get node "$n" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null); ` +
    `v=$("$b" kubectl get node "$n" -o jsonpath='{.status.nodeInfo.kubeletVersion}' 2>/dev/null); ` +
    `if ${readyz}[ "$r" = True ] && [ "$v" = "$want" ]; then exit 0; fi; ` +
    `if [ "$(date +%s)" -ge "$end" ]; then echo "node $n not ready at $want after \${t}s (Ready=\${r:-not registered}, version=\${v:-unknown})" >&2; ` +
    `for u in k3s k3s-agent; do systemctl cat "$u" >/dev/null 2>&1 && { systemctl show -p ActiveState,NRestarts "$u" >&2; journalctl -u "$u" -n 15 --no-pager -o cat >&2; }; done; exit 1; fi; ` +
    `sleep 2; done`;
}

export const k3sReady = defineModule({
  name: 'k3s.ready',
  args,
  describe: (a) => `node ${a.node} Ready at ${a.version}`,
  facts: (a) => ({ status: k3sNodeStatus({ node: a.node, apiserver: a.apiserver }) }),
  plan: (a, { status }) => isReady(a, status)
    ? noop(`node ${a.node} is Ready and runs ${a.version}`)
    : changes(change(`wait up to ${a.timeoutS}s for node ${a.node} to be Ready at ${a.version} (now Ready=${status.nodeReady || 'not registered'}, version=${status.kubeletVersion || 'unknown'})`,
      exec(waitScript(a), { timeoutMs: (a.timeoutS + 30) * 1000 }))),
});
