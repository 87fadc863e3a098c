/**
 * Role `etcd-migrate`: converts the Stage-1 K3s server (SQLite) to embedded etcd, safely.
 * Run it on the whole `server` group; the first host of the group is the SQLite server.
 *
 *   import { etcdJoin, etcdMigrate } from '@capstan/etcd-migrate';
 *   definePlaybook({ plays: [
 *     { name: 'convert', hosts: 'server', become: true, anyErrorsFatal: true, roles: [etcdMigrate.use({ lb_address: '10.10.10.100' })] },
 *     { name: 'join', hosts: 'server', become: true, serial: 1, anyErrorsFatal: true, roles: [etcdJoin.use({ lb_address: '10.10.10.100' })] },
 *   ] });
 *
 * Order: (1) gates, read-only and shown under --check: every server is probed (datastore,
 * version, disk, etcd ports of its peers) and the first server evaluates them all; (2) on the
 * first server: the object inventory, the backup (k3s stopped; server/db, token, config.yaml;
 * SHA-256 manifest; archive fetched to the controller), the conversion (config.yaml with
 * cluster-init, tls-san, snapshot and S3 keys, rendered by k3s-server), then verification:
 * etcd directory, state.db.migrated, etcd role, same object inventory. A failed verification
 * rolls back to the SQLite backup and fails the run with what was wrong. (3) A post-migration
 * snapshot. Joining the other servers is the `etcdJoin` role, one server at a time.
 * On a converted cluster every step is a no-op.
 */
import { join } from 'node:path';
import { k3sDataDirAlias, k3sPaths, serverConfigYaml } from '@capstan/k3s-server';
import { defineRole, deferred, fetch, Secret, type Step, type StepContext } from 'capstan';
import { clusterOf, clusterServerVars, type Cluster } from './cluster.ts';
import { BACKUP_ARCHIVE, etcdBackup } from './modules/backup.ts';
import { etcdConvert } from './modules/convert.ts';
import { etcdGates } from './modules/gates.ts';
import { etcdInventory } from './modules/inventory.ts';
import { etcdOutcome } from './modules/outcome.ts';
import { etcdProbe } from './modules/probe.ts';
import { etcdSnapshotSave } from './modules/snapshot.ts';
import { etcdMigrateVars, type EtcdMigrateVars } from './vars.ts';

/**
 * The conversion step of the first server. Declared here only, so the join role's
 * `ctx.result(convertStep(v, c), first)` finds the result of the conversion that ran on the
 * first server (steps are known by where they were declared), and can tell under --check that
 * the first server converts in this run.
 */
export function convertStep(v: EtcdMigrateVars, c: Cluster): Step<undefined> {
  const sv = clusterServerVars(v, c, c.first);
  const config = serverConfigYaml(sv, sv.api_endpoint ?? c.address(c.first));
  return etcdConvert({ config: new Secret(config, 'k3s config.yaml'), backupDir: v.backup_dir, timeoutS: v.convert_timeout_s, dataDir: v.k3s_data_dir },
    { name: 'convert to embedded etcd (cluster-init)', ignoreErrors: true });
}

export const etcdMigrate = defineRole({
  name: 'etcd-migrate',
  description: 'K3s SQLite to embedded etcd: gates, verified backup, conversion, verification or rollback, first snapshot',
  vars: etcdMigrateVars,
  aliases: [k3sDataDirAlias],
  steps: (v, ctx) => {
    const c = clusterOf(v, ctx);
    const peers = (h: string) => c.servers.filter((s) => s !== h).map(c.address);
    const probe = etcdProbe({
      host: deferred((x: StepContext) => x.host, 'host'),
      backupDir: v.backup_dir, dataDir: v.k3s_data_dir,
      peers: deferred((x: StepContext) => peers(x.host), 'peer addresses'),
    }, { name: 'gate probe: datastore, version, disk, etcd ports' });
    if (ctx.host !== c.first) return [probe];
    const sv = clusterServerVars(v, c, c.first);
    const inventory = etcdInventory({ backupDir: v.backup_dir, timeoutS: v.convert_timeout_s }, { name: 'object inventory before the migration' });
    const convert = convertStep(v, c);
    const steps: Step[] = [
      probe,
      etcdGates({
        first: c.first, desired: v.k3s_version, minVersion: v.min_version, knownBad: v.known_bad_versions, diskFactor: v.disk_factor, servers: [...c.servers],
        observations: deferred((x: StepContext) => c.servers.map((h) => x.result(probe, h)?.data), 'probes of every server'),
      }, { name: 'gates: datastore, versions, odd count, etcd ports, disk' }),
      inventory,
      etcdBackup({ backupDir: v.backup_dir, dataDir: v.k3s_data_dir }, { name: 'pre-migration backup (server/db, token, config.yaml)' }),
      ...(v.fetch_backup_to === false ? [] : [fetch({ src: `${v.backup_dir}/${BACKUP_ARCHIVE}`, dest: join(v.fetch_backup_to, ctx.host, BACKUP_ARCHIVE), flat: true, failOnMissing: false },
        { name: 'controller: copy of the pre-migration backup' })]),
      convert,
      etcdOutcome({
        node: sv.node_name ?? deferred((x: StepContext) => String(x.result(probe)?.data?.hostname ?? x.host), 'node name'),
        backupDir: v.backup_dir, dataDir: v.k3s_data_dir, rollbackOnFailure: v.rollback_on_failure, timeoutS: v.convert_timeout_s,
        convert: deferred((x: StepContext) => x.result(convert)?.status ?? 'skipped', 'conversion result'),
        before: deferred((x: StepContext) => x.result(inventory)?.data ?? null, 'inventory before'),
      }, { name: 'verify the conversion (or roll back to SQLite)' }),
      etcdSnapshotSave({ name: 'post-migration', dir: v.etcd_snapshot.dir ?? k3sPaths(v.k3s_data_dir).snapshots }, { name: 'first etcd snapshot' }),
    ];
    return steps;
  },
});
