/**
 * Records the cluster's object inventory (counts per kind and a hash) before the migration,
 * for `etcdOutcome` to compare afterwards. Read-only; fails when the datastore is still SQLite
 * and the API server does not answer (nothing could be compared).
 *
 *   const before = etcdInventory({ backupDir });
 *   ctx.result(before)?.data   // ObjectInventory | null
 */
import { defineModule, fail, noop, z } from 'capstan';
import { clusterInventory, etcdHostState } from '../facts.ts';
import { describeInventory, type ObjectInventory } from '../inventory.ts';

export const etcdInventory = defineModule({
  name: 'etcd.inventory',
  args: z.object({ backupDir: z.string().min(1) }).strict(),
  describe: () => 'object inventory before the migration',
  facts: (a) => ({ st: etcdHostState({ backupDir: a.backupDir }), inv: clusterInventory() }),
  plan: (_a, { st, inv }) => {
    if (inv) return noop(`recorded ${describeInventory(inv)}`);
    if (st.datastore === 'sqlite') return fail('the API server does not answer, so the object inventory cannot be taken: start k3s (`systemctl start k3s`) and run again');
    return noop('the API server does not answer; the inventory is not needed on this datastore');
  },
  data: (_a, { inv }): ObjectInventory | null => inv,
});
