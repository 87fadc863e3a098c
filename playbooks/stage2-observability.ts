/**
 * Roadmap stage 2: observability in namespace `monitoring` on the K3s servers of stage 1:
 * Prometheus, Alertmanager and Grafana, Loki, Tempo, Alloy, Traefik metrics, dashboards and
 * the roadmap's alert rules, through K3s's own Helm controller (no helm binary on the nodes).
 *
 *   capstan run playbooks/stage2-observability.ts -i inventory/k3s/hosts.yml --check --diff
 *   capstan run playbooks/stage2-observability.ts -i inventory/k3s/hosts.yml
 *
 * Grafana's admin password is the role variable `grafana.admin_password` (a Secret): set it in
 * a vault-encrypted `group_vars/server/vault.yml` (`ansible-vault encrypt`) and run with
 * `--vault-password-file FILE` or `--ask-vault-pass`, or pass it with `-e @secrets.yml`.
 */
import { helmMonitoring } from '@capstan/helm-monitoring';
import { definePlaybook } from 'capstan';

export default definePlaybook({
  name: 'stage 2: observability',
  plays: [{ name: 'monitoring', hosts: 'server', become: true, roles: [helmMonitoring.use()] }],
});
