/**
 * Roadmap stage 3: prerequisites on every node, the K3s server, then agents joining it with the server's node token
 * (read in the server play; "known after apply" under --check on new hosts).
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
    { name: 'k3s server', hosts: 'server', become: true, roles: [k3sServer.use({ mode: 'single' })] },
    { name: 'k3s agents', hosts: 'agent', become: true, serial: 50, roles: [k3sAgent.use()] },
  ],
});
