/**
 * The consumer's playbook: its own baseline role on every node, then a K3s server and agents
 * from the `@capstan/k3s-server` and `@capstan/k3s-agent` packages, typed end to end.
 *
 *   npx capstan run site.ts -i inventory/hosts.yml --check --diff
 *   npx capstan run site.ts -i inventory/hosts.yml
 */
import { k3sAgent } from '@capstan/k3s-agent';
import { k3sServer } from '@capstan/k3s-server';
import { definePlaybook } from 'capstan';
import { nodeBaseline } from './roles/node-baseline.ts';

export default definePlaybook({
  name: 'edge lab: baseline and K3s',
  plays: [
    { name: 'baseline', hosts: 'server:agent', become: true, roles: [nodeBaseline.use({ cluster_name: 'edge-lab' })] },
    {
      name: 'k3s server', hosts: 'server', become: true,
      roles: [k3sServer.use({ mode: 'single', disable: ['traefik'], node_labels: ['edge.example/zone=a'], fetch_kubeconfig: false })],
    },
    { name: 'k3s agents', hosts: 'agent', become: true, serial: 1, roles: [k3sAgent.use({ node_labels: ['node.kubernetes.io/role=stateful'] })] },
  ],
});
