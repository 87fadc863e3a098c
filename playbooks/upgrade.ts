/**
 * Upgrade K3s across the cluster, as K3s documents a manual upgrade: servers first, one at a
 * time (each Ready at the new version, and an etcd member again, before the next), then the
 * agents in batches of `upgrade_agent_batch` (default 5). Each node gets the new binary (the
 * installer with INSTALL_K3S_VERSION, or `airgap_dir`'s binary) and a restart; its
 * configuration is left as it is. `upgrade_drain=true` drains each node first (kubectl on the
 * first server) and uncordons it when Ready. A downgrade, a skipped Kubernetes minor version or
 * a host without K3s refuses the whole upgrade before any host changes.
 *
 *   capstan run playbooks/upgrade.ts -i inventory/k3s/hosts.yml -e k3s_version=v1.32.12+k3s1 --check -v   # the plan: hosts, versions, order
 *   capstan run playbooks/upgrade.ts -i inventory/k3s/hosts.yml -e k3s_version=v1.32.12+k3s1 -e upgrade_drain=true
 */
import { agentBatchVar, k3sUpgrade, k3sUpgradePlanRole } from '@capstan/k3s-lifecycle';
import { definePlaybook } from 'capstan';

export default definePlaybook({
  name: 'upgrade K3s: servers one at a time, then agents in batches',
  plays: [
    { name: 'upgrade plan', hosts: 'server:agent', become: true, gatherFacts: false, roles: [k3sUpgradePlanRole.use()] },
    { name: 'upgrade servers, one at a time', hosts: 'server', become: true, serial: 1, anyErrorsFatal: true, gatherFacts: false, roles: [k3sUpgrade.use()] },
    { name: 'upgrade agents, in batches', hosts: 'agent', become: true, serial: (v) => agentBatchVar.parse(v.upgrade_agent_batch), gatherFacts: false, roles: [k3sUpgrade.use()] },
  ],
});
