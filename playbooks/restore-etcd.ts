/**
 * Restore the embedded-etcd cluster from a snapshot (roles/etcd-migrate/README.md, "Restore
 * runbook"). Refuses to run, before connecting to anything, unless confirm_restore=yes is given.
 *
 *   ssh server1 k3s etcd-snapshot ls          # pick a snapshot
 *   capstan run playbooks/restore-etcd.ts -i inventory/k3s-ha/hosts.yml --check -e confirm_restore=yes -e snapshot=<name>
 *   capstan run playbooks/restore-etcd.ts -i inventory/k3s-ha/hosts.yml -e confirm_restore=yes -e snapshot=<name>
 */
import { etcdRestore } from '@capstan/etcd-migrate';
import { definePlaybook } from 'capstan';

export default definePlaybook({
  name: 'restore the etcd cluster from a snapshot',
  plays: [{ name: 'etcd restore', hosts: 'server', become: true, anyErrorsFatal: true, roles: [etcdRestore.use()] }],
});
