/**
 * Example inventory written in TypeScript (same as hosts.yml and hosts.ini); the
 * group_vars/ and host_vars/ beside it apply as they do to the YAML and INI files.
 *
 *   capstan inventory -i inventory/example/hosts.ts --graph
 */
import { defineInventory } from '../../src/inventory/define.ts';

export default defineInventory({
  vars: { ansible_user: 'ops', ansible_become: true },
  groups: {
    k3s_cluster: {
      children: {
        servers: { hosts: ['server[1:3]'], vars: { k3s_role: 'server' } },
        agents: { hosts: ['agent[01:02]'], vars: { k3s_role: 'agent' } },
      },
    },
    lb: { hosts: { lb1: { ansible_host: '192.0.2.10' } } },
  },
});
