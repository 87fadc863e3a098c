/**
 * The upgrade plan of the whole run, decided once before any host changes: every host's
 * installed version (read by k3sObserve on each host), the order servers and agent batches
 * follow, and refusals (a downgrade, a skipped minor version, K3s missing) that stop every host.
 *
 *   k3sUpgradePlan({ hosts: [{ host: 'server1', role: 'server', installed: 'v1.32.11+k3s3' }], version: 'v1.32.12+k3s1', agentBatch: 5 }, { runOnce: true })
 *
 * Nothing changes: the plan is the step's reason (`--check -v`, and the JSON events), a refusal its error.
 */
import { defineModule, fail, noop, z } from 'capstan';
import { upgradePlanText, upgradeRefusals } from '../plan.ts';

const hostVersion = z.object({ host: z.string(), role: z.enum(['server', 'agent']), installed: z.string().nullable(), restartPending: z.boolean().optional() });

export const k3sUpgradePlan = defineModule({
  name: 'k3s.upgrade-plan',
  args: z.object({ hosts: z.array(hostVersion), version: z.string(), agentBatch: z.number().int().positive() }).strict(),
  describe: (a) => `upgrade plan to ${a.version}`,
  readOnly: true,
  plan: (a) => {
    const refusals = upgradeRefusals(a.hosts, a.version);
    if (refusals.length) return fail(`upgrade to ${a.version} refused before any host changed: ${refusals.join('; ')}`);
    return noop(upgradePlanText(a.hosts, a.version, a.agentBatch));
  },
});
