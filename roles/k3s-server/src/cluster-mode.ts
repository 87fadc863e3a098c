/**
 * Mode `auto`: what an inventory's server group means, decided before anything connects. One
 * server: a single server on SQLite. An odd number: one cluster on embedded etcd, the first
 * server with cluster-init, every other one joining it with the first server's node token. An
 * even number is refused (etcd's quorum needs a majority: 2 servers tolerate no failure, 4 no
 * more than 3 do), and so is mode single on several hosts of one play: never separate clusters.
 *
 *   clusterRole(vars, ctx)   // { mode: 'join', servers: ['s1', 's2', 's3'], first: 's1', index: 1, vars: { ...vars, mode: 'join', join_server_url, token_from_server } }
 */
import { ConfigError, type RoleContext } from 'capstan';
import type { ServerVars } from './vars.ts';

export interface ClusterRole {
  /** The resolved vars (mode single, cluster-init or join). */
  vars: ServerVars;
  /** The servers of the group, in inventory order, when the cluster has several; else just this host. */
  servers: readonly string[];
  first: string;
  index: number;
}

/** Address other servers use for `host`: ansible_host, else its inventory name. */
export function serverAddress(ctx: RoleContext, host: string): string {
  return String(ctx.hostVars(host).ansible_host ?? host);
}

export function clusterRole(v: ServerVars, ctx: RoleContext): ClusterRole {
  if (v.mode !== 'auto') {
    refuseSeparateClusters(v.mode, ctx.playHosts);
    return { vars: v, servers: [ctx.host], first: ctx.host, index: 0 };
  }
  const servers = ctx.groupHosts(v.servers_group);
  const index = servers.indexOf(ctx.host);
  if (index < 0) {
    throw new ConfigError(`role k3s-server: mode auto on ${ctx.host}, which is not in group "${v.servers_group}" (servers_group)`, {
      hint: `run the role on the hosts of group "${v.servers_group}", or set servers_group to the group of the cluster's servers`,
    });
  }
  const first = servers[0] as string;
  if (servers.length === 1) return { vars: { ...v, mode: 'single' }, servers, first, index };
  if (servers.length % 2 === 0) {
    throw new ConfigError(`role k3s-server: group "${v.servers_group}" has ${servers.length} servers (${servers.join(', ')}); embedded etcd needs an odd number of servers (1, 3, 5, ...) to keep a quorum`, {
      hint: `add a server to group "${v.servers_group}" or remove one (${servers.length} servers tolerate no more failures than ${servers.length - 1})`,
    });
  }
  if (index === 0) return { vars: { ...v, mode: 'cluster-init' }, servers, first, index };
  return {
    vars: { ...v, mode: 'join', join_server_url: `https://${serverAddress(ctx, first)}:${Number(ctx.hostVars(first).api_port ?? v.api_port)}`, token_from_server: v.token ? undefined : first },
    servers, first, index,
  };
}

/**
 * Mode `single` on several hosts of one play would make as many separate one-server clusters,
 * never what an inventory with several servers means: refused before anything runs.
 */
function refuseSeparateClusters(mode: string, playHosts: readonly string[]): void {
  if (mode !== 'single' || playHosts.length <= 1) return;
  throw new ConfigError(`role k3s-server: mode single on ${playHosts.length} hosts (${playHosts.join(', ')}) would make ${playHosts.length} separate one-server clusters`, {
    hint: 'use mode auto (the stage playbooks do): the first server starts an embedded-etcd cluster and the others join it one at a time; a cluster already on SQLite is converted by playbooks/stage4-ha.ts',
  });
}
