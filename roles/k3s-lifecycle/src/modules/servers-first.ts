/**
 * Servers before agents: an agent is upgraded only once every server (control-plane node)
 * is Ready at the new version, as the cluster reports it (run on a server, by delegation). A
 * kubelet newer than its API servers breaks Kubernetes' version skew policy; this also holds
 * when a run is limited to agents.
 *
 *   k3sServersFirst({ version: 'v1.32.12+k3s1' }, { delegateTo: 'server1' })
 */
import { clusterNodes } from '@capstan/etcd-migrate';
import { defineModule, fail, noop, z } from 'capstan';

export const k3sServersFirst = defineModule({
  name: 'k3s.servers-first',
  args: z.object({ version: z.string() }).strict(),
  describe: (a) => `every server runs ${a.version}`,
  facts: () => ({ nodes: clusterNodes() }),
  readOnly: true,
  plan: (a, { nodes }) => {
    if (!nodes) return fail('the Kubernetes API does not answer on this server: cannot check that the servers were upgraded first');
    const behind = nodes.filter((n) => n.controlPlane && (n.version !== a.version || !n.ready));
    if (behind.length) return fail(`agents are upgraded after the servers, and ${behind.map((n) => `${n.name} (${n.ready ? n.version : 'not Ready'})`).join(', ')} ${behind.length === 1 ? 'is' : 'are'} not Ready at ${a.version} yet: upgrade the servers first`);
    return noop(`every server is Ready at ${a.version}`);
  },
});
