/**
 * Roadmap stage 3: prerequisites on every node, the K3s server(s), then agents joining with the
 * first server's node token (read in the server play; "known after apply" under --check on new
 * hosts). Several servers (an odd number) form one embedded-etcd cluster, joined one at a time,
 * as in stage 1.
 *
 *   capstan run playbooks/stage3-multi-node.ts -i inventory/k3s/hosts.yml --check --diff
 *   capstan run playbooks/stage3-multi-node.ts -i inventory/k3s/hosts.yml
 */
import { k3sAgent } from '@capstan/k3s-agent';
import { k3sPrereq } from '@capstan/k3s-prereq';
import { k3sServer } from '@capstan/k3s-server';
import { definePlaybook } from 'capstan';

export default definePlaybook({
  name: 'stage 3: K3s server and agents',
  plays: [
    { name: 'prerequisites', hosts: 'server:agent', become: true, roles: [k3sPrereq.use()] },
    { name: 'k3s server', hosts: 'server', become: true, serial: 1, anyErrorsFatal: true, roles: [k3sServer.use({ mode: 'auto' })] },
    { name: 'k3s agents', hosts: 'agent', become: true, serial: 50, roles: [k3sAgent.use()] },
  ],
});
