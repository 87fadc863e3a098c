/**
 * Role `etcd-restore`: restores an embedded-etcd cluster from a snapshot, as K3s documents:
 * stop k3s on every server; on the first, `--cluster-reset` with the snapshot; start it and wait
 * for the API; on the others, move server/db aside and start them so they rejoin. Refuses to
 * run unless `confirm_restore` is exactly "yes": the check happens when variables are validated,
 * before any connection.
 *
 *   capstan run playbooks/restore-etcd.ts -i inventory/k3s-ha/hosts.yml -e confirm_restore=yes -e snapshot=post-migration-server1-1764170000
 */
import { dataDirVar, K3S_VERSION_PATTERN, k3sDataDirAlias, k3sPaths, k3sService } from '@capstan/k3s-server';
import { defineRole, systemd, waitFor, z } from 'capstan';
import { etcdClusterReset, etcdMoveDbAside } from './modules/restore.ts';

export const restoreVars = z.object({
  confirm_restore: z.literal('yes', { error: 'confirm_restore must be "yes": a restore replaces the whole cluster state with the snapshot (pass -e confirm_restore=yes)' }),
  snapshot: z.string({ error: 'snapshot is required: the name of a snapshot file (`k3s etcd-snapshot ls` on a server) or an absolute path (pass -e snapshot=<name>)' })
    .min(1, 'snapshot must name a snapshot file (k3s etcd-snapshot ls) or an absolute path')
    .refine((s) => !/[\0\r\n]/.test(s) && !s.split('/').includes('..'), 'snapshot must be one line without ".."')
    .describe('snapshot name in the snapshot directory, or an absolute path on the first server'),
  snapshot_dir: z.string().startsWith('/').optional().describe('snapshot directory (etcd-snapshot-dir; default <k3s_data_dir>/server/db/snapshots)'),
  k3s_data_dir: dataDirVar,
  servers_group: z.string().min(1).default('server').describe('inventory group of the servers; its first host is restored first'),
  api_port: z.number().int().min(1).max(65535).default(6443),
  k3s_version: z.string().regex(K3S_VERSION_PATTERN).optional().describe('unused by the restore; accepted so one inventory serves every stage'),
});

export const etcdRestore = defineRole({
  name: 'etcd-restore',
  description: 'restore an embedded-etcd K3s cluster from a snapshot (explicit confirmation required)',
  vars: restoreVars,
  aliases: [k3sDataDirAlias],
  steps: (v, ctx) => {
    const first = ctx.groupHosts(v.servers_group)[0];
    if (!first) throw new Error(`etcd-restore: inventory group "${v.servers_group}" (servers_group) has no hosts`);
    const isFirst = { when: () => ctx.host === first };
    const isOther = { when: () => ctx.host !== first };
    return [
      systemd({ name: 'k3s', state: 'stopped' }, { name: 'stop k3s on every server' }),
      etcdClusterReset({ snapshot: v.snapshot, snapshotDir: v.snapshot_dir ?? k3sPaths(v.k3s_data_dir).snapshots }, { name: `cluster-reset on ${first} from the snapshot`, ...isFirst }),
      k3sService({ unit: 'k3s' }, { name: `start k3s on ${first}`, ...isFirst }),
      waitFor({ host: '127.0.0.1', port: v.api_port, timeoutMs: 300_000 }, { name: `API port on ${first}`, ...isFirst }),
      etcdMoveDbAside({ dataDir: v.k3s_data_dir }, { name: 'move server/db aside on the other servers', ...isOther }),
      k3sService({ unit: 'k3s' }, { name: 'start k3s on the other servers (they rejoin)', ...isOther }),
    ];
  },
});
