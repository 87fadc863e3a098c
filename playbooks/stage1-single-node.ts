/**
 * Roadmap stage 1: the K3s server of the `server` group, after its prerequisites (preflight
 * checks, forwarding, firewall openings). One server: SQLite. An odd number of servers: one
 * cluster on embedded etcd, the first server with cluster-init and the others joining it one at
 * a time, each Ready and an etcd member before the next; an even number is refused. A server
 * already on SQLite is not converted here: that is stage 4.
 *
 *   capstan run playbooks/stage1-single-node.ts -i inventory/k3s/hosts.yml --check --diff
 *   capstan run playbooks/stage1-single-node.ts -i inventory/k3s/hosts.yml
 */
import { k3sPrereq } from '@capstan/k3s-prereq';
import { k3sServer } from '@capstan/k3s-server';
import { definePlaybook } from 'capstan';

export default definePlaybook({
  name: 'stage 1: single K3s server',
  plays: [
    { name: 'prerequisites', hosts: 'server', become: true, roles: [k3sPrereq.use()] },
    { name: 'k3s server', hosts: 'server', become: true, serial: 1, anyErrorsFatal: true, roles: [k3sServer.use({ mode: 'auto' })] },
  ],
});
