/**
 * Servers before agents: an agent is upgraded only once every server (control-plane node)
 * is Ready at the new version, as the cluster reports it (run on a server, by delegation). A
 * kubelet newer than its API servers breaks Kubernetes' version skew policy; this also holds
 * when a run is limited to agents.
 *
 *   k3sServersFirst({ version: 'v1.32.12+k3s1', check: deferred((c) => c.check) }, { delegateTo: 'server1' })
 *
 * Under --check the servers' play before it only predicts their upgrade, so servers not yet at
 * the version are "cannot predict" (known after apply), not a refusal.
 */
import { clusterNodes } from '@capstan/etcd-migrate';
import { change, changes, defineModule, fail, noop, z } from 'capstan';

export const k3sServersFirst = defineModule({
  name: 'k3s.servers-first',
  args: z.object({ version: z.string(), check: z.boolean() }).strict(),
  describe: (a) => `every server runs ${a.version}`,
  facts: () => ({ nodes: clusterNodes() }),
  readOnly: true,
  plan: (a, { nodes }) => {
    if (!nodes) return fail('the Kubernetes API does not answer on this server: cannot check that the servers were upgraded first');
    const behind = nodes.filter((n) => n.controlPlane && (n.version !== a.version || !n.ready));
    const names = behind.map((n) => `${n.name} (${n.ready ? n.version : 'not Ready'})`).join(', ');
    if (behind.length && a.check) return changes({ ...change(`servers first: ${names} not at ${a.version} before this run's servers play`), unpredictable: `the servers' versions once they are upgraded (known after apply)` });
    if (behind.length) return fail(`agents are upgraded after the servers, and ${names} ${behind.length === 1 ? 'is' : 'are'} not Ready at ${a.version} yet: upgrade the servers first`);
    return noop(`every server is Ready at ${a.version}`);
  },
});
