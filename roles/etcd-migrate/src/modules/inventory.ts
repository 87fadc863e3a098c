/**
 * Records the cluster's object inventory (UIDs of the objects without an owner) and its node
 * names before the migration, for `etcdOutcome` to check afterwards. Read-only while the API answers. On SQLite with the
 * API down (k3s stopped, e.g. by the backup step of an interrupted run) it starts k3s, waits
 * for the API and takes the inventory then, so that the next run resumes.
 *
 *   const before = etcdInventory({ backupDir, timeoutS: 300 });
 *   ctx.result(before)?.data   // ObjectInventory | null
 */
import { clusterNodes, K3S_BIN } from '@capstan/k3s-server';
import { change, changes, defineModule, exec, noop, sh, z } from 'capstan';
import { clusterInventory, etcdHostState } from '../facts.ts';
import { describeInventory, INVENTORY_PIPELINE, parseInventory, type ObjectInventory } from '../inventory.ts';

export function startAndListScript(timeoutS: number) {
  return sh`k=${K3S_BIN}; t=${String(timeoutS)}; end=$(( $(date +%s) + t )); systemctl start k3s || true; ` +
    'until [ "$("$k" kubectl get --raw=/readyz 2>/dev/null)" = ok ]; do [ "$(date +%s)" -lt "$end" ] || { echo "k3s did not become ready within ${t}s" >&2; journalctl -u k3s -n 15 --no-pager -o cat >&2; exit 1; }; sleep 2; done; ' +
    INVENTORY_PIPELINE;
}

export const etcdInventory = defineModule({
  name: 'etcd.inventory',
  args: z.object({ backupDir: z.string().min(1), timeoutS: z.number().int().positive() }).strict(),
  describe: () => 'object inventory before the migration',
  facts: (a) => ({ st: etcdHostState({ backupDir: a.backupDir }), inv: clusterInventory(), nodes: clusterNodes() }),
  plan: (a, { st, inv }) => {
    if (inv) return noop(`recorded ${describeInventory(inv)}`);
    if (st.datastore !== 'sqlite') return noop('the API server does not answer; the inventory is not needed on this datastore');
    return changes(change('start k3s (stopped, e.g. by an interrupted run) and take the object inventory', exec(startAndListScript(a.timeoutS), { timeoutMs: (a.timeoutS + 30) * 1000 })));
  },
  data: (_a, { inv, nodes }, outputs): ObjectInventory | null => {
    const out = outputs.at(-1);
    const objects = out && out.exitCode === 0 ? parseInventory(out.stdout) : inv;
    return objects && { ...objects, nodes: (nodes ?? []).map((n) => n.name) };
  },
  affects: ['k3s', 'etcd'],
});
