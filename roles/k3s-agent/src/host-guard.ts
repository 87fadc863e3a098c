/**
 * Refuses to install an agent on a host that runs a K3s server: a server already runs the
 * agent components, and a second unit would fight it over the same data directory.
 *
 *   k3sNotAServer({})
 */
import { K3S_BIN, k3sInstallState } from '@capstan/k3s-server';
import { defineModule, fail, noop, z } from 'capstan';

export const k3sNotAServer = defineModule({
  name: 'k3s.not-a-server',
  args: z.object({}).strict(),
  describe: () => 'host is not a K3s server',
  facts: () => ({ server: k3sInstallState({ unit: 'k3s' }) }),
  plan: (_a, { server }) => server.unit
    ? fail(`this host already has k3s.service (a K3s server, ${server.version ?? 'unknown version'} at ${K3S_BIN}); a server runs its own agent: remove it from the agent group`)
    : noop('no k3s.service on this host'),
});
