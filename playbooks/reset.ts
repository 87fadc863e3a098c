/**
 * Reset: uninstall K3s from the selected hosts with K3s's own uninstall scripts
 * (k3s-uninstall.sh on servers, k3s-agent-uninstall.sh on agents). Nothing happens, and no host
 * is contacted, without `-e confirm_reset=yes`. With `--limit`, the hosts that go are deleted
 * from the cluster on a server that stays, and a selection that would leave the etcd servers
 * without quorum is refused unless `-e reset_allow_quorum_loss=true`. When every server goes,
 * the cluster's context (fetch_kubeconfig) leaves the controller's kubeconfig; other contexts stay.
 *
 *   capstan run playbooks/reset.ts -i inventory/k3s/hosts.yml -e confirm_reset=yes --check
 *   capstan run playbooks/reset.ts -i inventory/k3s/hosts.yml -e confirm_reset=yes
 *   capstan run playbooks/reset.ts -i inventory/k3s/hosts.yml -e confirm_reset=yes --limit agent3
 */
import { k3sReset } from '@capstan/k3s-lifecycle';
import { definePlaybook } from 'capstan';

export default definePlaybook({
  name: 'reset: uninstall K3s',
  plays: [{ name: 'uninstall K3s', hosts: 'server:agent', become: true, gatherFacts: false, roles: [k3sReset.use()] }],
});
