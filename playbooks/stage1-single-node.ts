/**
 * Roadmap stage 1: one K3s server with SQLite on the `server` group, after its prerequisites
 * (preflight checks, forwarding, firewall openings).
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
    { name: 'k3s server', hosts: 'server', become: true, roles: [k3sServer.use({ mode: 'single' })] },
  ],
});
