/**
 * An on-demand etcd snapshot with a fixed name prefix, taken once: nothing to do when the
 * snapshot directory already holds one with that prefix (`<name>-<node>-<unix time>`).
 * On-demand snapshots are never pruned by the schedule's retention.
 *
 *   etcdSnapshotSave({ name: 'post-migration', dir: '/var/lib/rancher/k3s/server/db/snapshots' })
 */
import { change, changes, defineModule, exec, noop, sh, z } from 'capstan';
import { K3S_BIN } from '@capstan/k3s-server';
import { etcdSnapshots } from '../facts.ts';

export const etcdSnapshotSave = defineModule({
  name: 'etcd.snapshot',
  args: z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and dashes'), dir: z.string().min(1) }).strict(),
  describe: (a) => `etcd snapshot ${a.name}`,
  facts: (a) => ({ files: etcdSnapshots(a.dir) }),
  plan: (a, { files }) => {
    const have = files.find((f) => f.startsWith(`${a.name}-`));
    if (have) return noop(`snapshot ${have} exists`);
    return changes(change(`k3s etcd-snapshot save --name ${a.name}`, exec(sh`${K3S_BIN} etcd-snapshot save --name ${a.name} && ${K3S_BIN} etcd-snapshot ls`, { timeoutMs: 600_000 })));
  },
  affects: ['etcd'],
});
