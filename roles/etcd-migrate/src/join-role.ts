/**
 * Role `etcd-join`: the servers of an embedded-etcd cluster through k3s-server, strictly one
 * at a time (use it in a play with `serial: 1`). The first server of the group is reconciled in
 * mode cluster-init (after etcd-migrate, nothing changes; a changed snapshot or S3 setting
 * restarts it); every other server joins in mode join with the first server's node token,
 * after a check that the first server really runs etcd, and must then be Ready and an etcd
 * member as the first server sees it. Once the last server joined, a `post-ha` snapshot is
 * taken on the first server. Optionally installs the snapshot copy timer.
 *
 *   { name: 'join servers', hosts: 'server', become: true, serial: 1, anyErrorsFatal: true,
 *     roles: [etcdJoin.use({ lb_address: '10.10.10.100' })] }
 *
 * Takes the same variables as etcd-migrate (put them in the inventory once).
 */
import { etcdMemberWait, k3sDataDirAlias, k3sPaths, k3sServer, nodeNameOf, serverVars } from '@capstan/k3s-server';
import { deferred, defineRole, knownAfterApply, type Step, type StepContext } from 'capstan';
import { clusterOf, clusterServerVars } from './cluster.ts';
import { etcdJoinGuard } from './modules/join-guard.ts';
import { etcdSnapshotSave } from './modules/snapshot.ts';
import { snapshotCopySteps } from './snapshot-copy.ts';
import { convertStep } from './role.ts';
import { etcdMigrateVars } from './vars.ts';

export const etcdJoin = defineRole({
  name: 'etcd-join',
  description: 'K3s servers of the embedded-etcd cluster via k3s-server (cluster-init / join), one at a time, each verified as an etcd member',
  vars: etcdMigrateVars,
  aliases: [k3sDataDirAlias],
  steps: (v, ctx) => {
    const c = clusterOf(v, ctx);
    const sv = clusterServerVars(v, c, ctx.host);
    const server = k3sServer.definition.steps(sv, ctx);
    const snapshots = v.etcd_snapshot.dir ?? k3sPaths(v.k3s_data_dir).snapshots;
    const copies = v.snapshot_copy === false ? [] : snapshotCopySteps(v.snapshot_copy, snapshots, v.k3s_data_dir);
    if (ctx.host === c.first) return [...server, ...copies];
    const index = c.servers.indexOf(ctx.host);
    const convert = convertStep(v, c);
    const node = deferred((x: StepContext) => {
      if (x.check && server.some((s: Step) => x.result(s)?.changed)) return knownAfterApply(`the membership of ${ctx.host} once it has joined`);
      return nodeNameOf(sv.node_name, server[0] as Step, x);
    }, 'node name');
    return [
      etcdJoinGuard({
        first: c.first, backupDir: v.backup_dir, dataDir: v.k3s_data_dir,
        firstConverts: deferred((x: StepContext) => x.check && x.result(convert, c.first)?.changed ? knownAfterApply(`whether ${c.first} runs etcd (it converts in this run)`) : false, 'first server converts'),
      }, { name: `${c.first} runs embedded etcd`, delegateTo: c.first }),
      ...server,
      etcdMemberWait({ node, expected: index + 1, timeoutS: v.join_timeout_s }, { name: `etcd member and Ready on ${c.first}`, delegateTo: c.first }),
      ...(index === c.servers.length - 1
        ? [etcdSnapshotSave({ name: 'post-ha', dir: snapshots }, { name: `snapshot post-ha on ${c.first} once every server joined`, delegateTo: c.first })]
        : []),
      ...copies,
    ];
  },
  handlers: () => k3sServer.definition.handlers?.(serverVars.parse({})) ?? {},
});
