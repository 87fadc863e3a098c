/**
 * A joined server is an etcd member and Ready, as the cluster sees it (run on a server that is
 * already a member, by delegation). Waits with a bound; on timeout it fails with the member list
 * and the quorum arithmetic, so the report says whether the cluster can still take writes.
 *
 *   etcdMemberWait({ node: 'server2', expected: 2, timeoutS: 600 }, { delegateTo: 'server1' })
 */
import { change, changes, defineModule, exec, noop, sh, z } from 'capstan';
import { clusterNodes } from '../cluster-facts.ts';
import { K3S_BIN } from '../facts.ts';

export function memberWaitScript(node: string, expected: number, timeoutS: number) {
  return sh`k=${K3S_BIN}; n=${node}; want=${String(expected)}; t=${String(timeoutS)}; end=$(( $(date +%s) + t )); ` + [
    'while :; do',
    '  m=$("$k" kubectl get nodes -l node-role.kubernetes.io/etcd=true -o name 2>/dev/null | sort)',
    '  r=$("$k" kubectl get node "$n" -o jsonpath=\'{.status.conditions[?(@.type=="Ready")].status}\' 2>/dev/null)',
    '  if printf "%s\\n" "$m" | grep -qx "node/$n" && [ "$r" = True ]; then echo "$n is an etcd member and Ready"; exit 0; fi',
    '  if [ "$(date +%s)" -ge "$end" ]; then',
    '    c=$(printf "%s\\n" "$m" | grep -c . || true)',
    '    echo "CRITICAL: $n did not become an etcd member and Ready within ${t}s (Ready=${r:-not registered}); members now: $(echo $m | tr \' \' \',\') ($c of $want expected)." >&2',
    '    echo "Quorum needs a majority of the members that joined; fix $n and run again (it resumes with this server), or remove the last joined server to return to an odd member count." >&2',
    '    exit 1',
    '  fi',
    '  sleep 2',
    'done',
  ].join('\n');
}

export const etcdMemberWait = defineModule({
  name: 'etcd.member',
  args: z.object({ node: z.string().min(1), expected: z.number().int().positive(), timeoutS: z.number().int().positive() }).strict(),
  describe: (a) => `${a.node} is an etcd member and Ready`,
  facts: () => ({ nodes: clusterNodes() }),
  plan: (a, { nodes }) => {
    const n = nodes?.find((x) => x.name === a.node);
    if (n?.etcd && n.ready) return noop(`${a.node} is an etcd member and Ready (${nodes?.filter((x) => x.etcd).length ?? 0} members)`);
    return changes(change(`wait up to ${a.timeoutS}s for ${a.node} to be an etcd member and Ready`, exec(memberWaitScript(a.node, a.expected, a.timeoutS), { timeoutMs: (a.timeoutS + 30) * 1000 })));
  },
});
