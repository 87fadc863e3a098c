/**
 * The two host-side moves of a restore from an etcd snapshot (K3s's documented procedure):
 * on the first server `k3s server --cluster-reset --cluster-reset-restore-path=<snapshot>`,
 * which resets membership to this one member with the snapshot's data and exits; on every
 * other server, server/db moved aside so that it rejoins empty on its next start.
 *
 *   etcdClusterReset({ snapshot: 'post-migration-server1-1764170000', snapshotDir })
 *   etcdMoveDbAside({ dataDir: '/var/lib/rancher/k3s' })
 *
 * Both always act (a restore is an explicit, confirmed operation); the snapshot must exist.
 */
import { change, changes, defineModule, exec, fail, sh, z } from 'capstan';
import { DEFAULT_DATA_DIR, K3S_BIN, k3sPaths } from '@capstan/k3s-server';
import { etcdSnapshots } from '../facts.ts';

export const RESET_DONE = 'Managed etcd cluster membership has been reset';

export const etcdClusterReset = defineModule({
  name: 'etcd.cluster-reset',
  args: z.object({ snapshot: z.string().min(1), snapshotDir: z.string().min(1) }).strict(),
  describe: (a) => `cluster-reset from ${a.snapshot}`,
  facts: (a) => ({ files: etcdSnapshots(a.snapshotDir) }),
  plan: (a, { files }) => {
    const path = a.snapshot.startsWith('/') ? a.snapshot : `${a.snapshotDir}/${a.snapshot}`;
    if (!a.snapshot.startsWith('/') && !files.includes(a.snapshot)) {
      return fail(`snapshot ${a.snapshot} is not in ${a.snapshotDir} (have: ${files.join(', ') || 'none'})`);
    }
    return changes(change(`k3s server --cluster-reset --cluster-reset-restore-path=${path}`,
      exec(sh`out=$(${K3S_BIN} server --cluster-reset --cluster-reset-restore-path=${path} 2>&1); rc=$?; printf '%s\n' "$out" | tail -n 5; printf '%s' "$out" | grep -q ${RESET_DONE} || { echo "cluster-reset did not report success (exit $rc)" >&2; exit 1; }`, { timeoutMs: 900_000 })));
  },
  affects: ['k3s', 'etcd'],
});

export const etcdMoveDbAside = defineModule({
  name: 'etcd.move-db-aside',
  args: z.object({ dataDir: z.string().min(1).default(DEFAULT_DATA_DIR) }).strict(),
  describe: () => 'move server/db aside so the server rejoins empty',
  plan: (a) => changes(change(`move ${k3sPaths(a.dataDir).db} to ${k3sPaths(a.dataDir).db}.pre-restore-<time>`,
    exec(sh`s=${k3sPaths(a.dataDir).server}; if [ -d "$s/db" ]; then mv "$s/db" "$s/db.pre-restore-$(date +%s)"; fi`))),
  affects: ['k3s', 'etcd'],
});
