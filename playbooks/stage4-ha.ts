/**
 * Roadmap stage 4: high availability. The SQLite server is converted to embedded etcd (gates,
 * verified backup, conversion, verification or rollback), the other servers join one at a
 * time, HAProxy on the `loadbalancer` hosts fronts the API, then the controller's kubeconfig
 * and the agents (one at a time, so the API and workloads stay reachable) use the load balancer.
 *
 *   capstan run playbooks/stage4-ha.ts -i inventory/k3s-ha/hosts.yml --check --diff
 *   capstan run playbooks/stage4-ha.ts -i inventory/k3s-ha/hosts.yml
 *
 * The load balancer's address is `lb_address`, else the ansible_host of the first
 * `loadbalancer` host; its port `lb_port` (default 6443, HAProxy's default frontend).
 *
 * Snapshots must leave the servers: set `etcd_s3` or `snapshot_copy` (or, knowingly,
 * `etcd_offsite_backup: none-i-accept-the-risk`); otherwise the run stops before connecting.
 * When stage 2 is installed, its Prometheus then scrapes etcd on every server (nothing to set).
 */
import { etcdJoin, etcdLbAnswers, etcdMigrate, kubeconfigViaLb } from '@capstan/etcd-migrate';
import { haproxy } from '@capstan/haproxy';
import { etcdScrapeSteps } from '@capstan/helm-monitoring';
import { agentVars, k3sAgent } from '@capstan/k3s-agent';
import { definePlaybook, z, type RoleContext } from 'capstan';

function lbOf(vars: Readonly<Record<string, unknown>>, ctx: RoleContext): { address: string; port: number; url: string } {
  const lb = ctx.groupHosts('loadbalancer')[0];
  const address = vars.lb_address ?? (lb ? ctx.hostVars(lb).ansible_host ?? lb : undefined);
  if (typeof address !== 'string' || !address) throw new Error('stage 4 needs a load balancer: a `loadbalancer` inventory group or lb_address');
  const port = z.number().int().min(1).max(65535).default(6443).parse(vars.lb_port);
  return { address, port, url: `https://${address}:${port}` };
}

const kubeconfigDest = z.union([z.literal(false), z.object({ dest: z.string().min(1), context: z.string().default('k3s') })])
  .default({ dest: '~/.kube/k3s.yaml', context: 'k3s' });

export default definePlaybook({
  name: 'stage 4: embedded etcd, three servers, load balancer',
  plays: [
    { name: 'etcd-migrate: gates, backup, conversion', hosts: 'server', become: true, anyErrorsFatal: true, roles: [etcdMigrate.use()] },
    { name: 'etcd-join: servers one at a time', hosts: 'server', become: true, serial: 1, anyErrorsFatal: true, roles: [etcdJoin.use()] },
    { name: 'haproxy on the load balancers', hosts: 'loadbalancer', become: true, roles: [haproxy.use({ backends_group: 'server' })] },
    {
      name: 'controller kubeconfig via the load balancer', hosts: 'server', become: true,
      steps: (vars, ctx) => {
        const k = kubeconfigDest.parse(vars.fetch_kubeconfig);
        const first = ctx.groupHosts('server')[0];
        return k === false || !first ? [] : kubeconfigViaLb({ first, server: lbOf(vars, ctx).url, dest: k.dest, context: k.context });
      },
    },
    {
      name: 'agents via the load balancer, one at a time', hosts: 'agent', become: true, serial: 1,
      steps: (vars, ctx) => {
        const lb = lbOf(vars, ctx);
        return [
          etcdLbAnswers({ host: lb.address, port: lb.port, timeoutS: 120 }, { name: `load balancer ${lb.address}:${lb.port} answers from this agent` }),
          ...k3sAgent.definition.steps(agentVars.parse({ ...vars, server_url: lb.url }), ctx),
        ];
      },
      handlers: k3sAgent.definition.handlers?.(agentVars.parse({})) ?? {},
    },
    { name: 'monitoring: etcd metrics', hosts: 'server', become: true, steps: (vars, ctx) => etcdScrapeSteps(vars, ctx) },
  ],
});
