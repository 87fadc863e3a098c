/**
 * `@capstan/etcd-migrate`: K3s SQLite to embedded etcd (etcd-migrate), the servers of the etcd
 * cluster one at a time (etcd-join), restore from a snapshot (etcd-restore), and the pure
 * pieces they decide with (gates, inventory comparison, rollback decision).
 *
 *   import { etcdMigrate, etcdJoin } from '@capstan/etcd-migrate';
 *   definePlaybook({ plays: [
 *     { name: 'convert', hosts: 'server', become: true, anyErrorsFatal: true, roles: [etcdMigrate.use()] },
 *     { name: 'join', hosts: 'server', become: true, serial: 1, anyErrorsFatal: true, roles: [etcdJoin.use()] },
 *   ] });
 */
export { etcdMigrate } from './role.ts';
export { etcdJoin } from './join-role.ts';
export { etcdRestore, restoreVars } from './restore-role.ts';
export { etcdMigrateVars, etcdSnapshotVar, etcdS3Var, snapshotCopyVar, bucketNameProblem, NO_OFFSITE_BACKUP, type EtcdMigrateVars } from './vars.ts';
export { evaluateGates, gateReport, versionRefusal, ABSOLUTE_FLOOR, type GateInput, type GateResult, type ServerObservation, type Datastore, type PortReach } from './gates.ts';
export { parseInventory, preservationProblems, describeInventory, keptText, INVENTORY_PIPELINE, type ObjectInventory } from './inventory.ts';
export { decideOutcome, outcomeProblems, type Outcome, type OutcomeInput, type HostDatastore } from './rollback.ts';
export { etcdConfigKeys, clusterOf, clusterServerVars, type Cluster } from './cluster.ts';
export { renderCopyScript, renderCopyService, renderCopyTimer, snapshotCopySteps, splitTarget, COPY_SCRIPT, COPY_UNIT, type SnapshotCopy } from './snapshot-copy.ts';
export { etcdHostState, etcdPeerPorts, clusterInventory, etcdSnapshots, parseHostState, parsePeerPorts, SNAPSHOT_DIR, DB_DIR, SERVER_DIR, type EtcdHostState } from './facts.ts';
export { clusterNodes, parseNodes, etcdMemberWait, memberWaitScript, type ClusterNode } from '@capstan/k3s-server';
export { etcdProbe, type ProbeData } from './modules/probe.ts';
export { etcdGates } from './modules/gates.ts';
export { etcdInventory } from './modules/inventory.ts';
export { etcdBackup, backupScript, BACKUP_ARCHIVE } from './modules/backup.ts';
export { etcdConvert, convertScript } from './modules/convert.ts';
export { etcdOutcome, rollbackScript } from './modules/outcome.ts';
export { etcdSnapshotSave } from './modules/snapshot.ts';
export { etcdJoinGuard } from './modules/join-guard.ts';
export { etcdClusterReset, etcdMoveDbAside, RESET_DONE } from './modules/restore.ts';
export { kubeconfigViaLb } from './kubeconfig.ts';
export { etcdLbAnswers } from './modules/lb.ts';
