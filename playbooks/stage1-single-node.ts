/**
 * Roadmap stage 1: one K3s server with SQLite on the `server` group.
 *
 *   capstan run playbooks/stage1-single-node.ts -i inventory/k3s/hosts.yml --check --diff
 *   capstan run playbooks/stage1-single-node.ts -i inventory/k3s/hosts.yml
 */
import { k3sServer } from '@capstan/k3s-server';
import { definePlaybook } from 'capstan';

export default definePlaybook({
  name: 'stage 1: single K3s server',
  plays: [{ name: 'k3s server', hosts: 'server', become: true, roles: [k3sServer.use({ mode: 'single' })] }],
});
