/**
 * Node labels reconciled on the API server: K3s applies `node-label` when a node registers,
 * so labels wanted later are set with `k3s kubectl label --overwrite`. Labels not listed are
 * left alone (other tools own them).
 *
 *   k3sNodeLabels({ node: 'agent1', labels: ['node.kubernetes.io/role=stateful'] }, { delegateTo: 'server1' })
 */
import { change, changes, defineFact, defineModule, exec, fail, noop, sh, z } from 'capstan';
import { K3S_BIN } from '../facts.ts';

/** The node's labels as the API server has them; null when the node is not registered. */
export const k3sNodeLabelsFact = defineFact<string, Record<string, string> | null>({
  name: 'k3s.nodelabels',
  command: (node) => sh`${K3S_BIN} kubectl get node ${node} -o jsonpath='{.metadata.labels}' 2>/dev/null || echo absent`,
  parse: (out) => (out.trim() === 'absent' || out.trim() === '' ? null : (JSON.parse(out) as Record<string, string>)),
});

/** `key=value` (or `key`, an empty value) entries as a map; later entries win. */
export function labelMap(entries: readonly string[]): Record<string, string> {
  return Object.fromEntries(entries.map((e) => {
    const i = e.indexOf('=');
    return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
  }));
}

export const k3sNodeLabels = defineModule({
  name: 'k3s.node-labels',
  args: z.object({ node: z.string().min(1), labels: z.array(z.string().min(1)) }).strict(),
  describe: (a) => `labels of node ${a.node}`,
  facts: (a) => ({ current: k3sNodeLabelsFact(a.node) }),
  plan: (a, { current }) => {
    if (!current) return fail(`node ${a.node} is not registered with the API server`);
    const wanted = labelMap(a.labels);
    const differ = Object.entries(wanted).filter(([k, v]) => current[k] !== v);
    if (!differ.length) return noop(`node ${a.node} has its ${Object.keys(wanted).length} labels`);
    const pairs = differ.map(([k, v]) => `${k}=${v}`);
    return changes(change(`label node ${a.node}: ${pairs.join(', ')}`, exec(sh`${K3S_BIN} kubectl label node ${a.node} ${pairs} --overwrite`)));
  },
});
