/**
 * Which roadmap stage the hosts are at, from what the probes found (not from what the
 * inventory intends): K3s servers and agents installed, datastore, monitoring manifests.
 *
 *   detectStage(nodes)
 *   // { current: 1, servers: ['server1'], agents: [], monitoring: false, notes: [] }
 *
 * Stage 4 is a control plane that survives losing a server: three or more servers on
 * embedded etcd, or two or more on an external datastore. Stage 3 is more than one node.
 * Stage 2 is a single node with the helm-monitoring manifests. Null means no server was
 * found and a host that may be one (not a declared agent) was not measured, or --limit
 * left the inventory's servers out.
 */
import type { NodeReport, StageNumber } from './types.ts';

export interface Topology {
  current: StageNumber | null;
  /** Hosts where a K3s server was found. */
  servers: string[];
  /** Hosts where a K3s agent was found. */
  agents: string[];
  monitoring: boolean;
  datastore: 'etcd' | 'sqlite' | 'external' | 'mixed' | null;
  notes: string[];
}

/** `leftOut`: servers of the inventory that were not looked at (--limit left them out). */
export function detectStage(nodes: readonly NodeReport[], leftOut: readonly string[] = []): Topology {
  const measured = nodes.filter((n) => n.status === 'ok' && n.k3s);
  const servers = measured.filter((n) => n.k3s?.role === 'server');
  const agents = measured.filter((n) => n.k3s?.role === 'agent').map((n) => n.name);
  const monitoring = servers.some((n) => (n.k3s?.monitoringManifests.length ?? 0) > 0);
  const stores = new Set(servers.map((n) => n.k3s?.datastore ?? null));
  const datastore = stores.size === 0 ? null : stores.size > 1 ? 'mixed' : [...stores][0] ?? null;
  const notes = layoutNotes(nodes, servers.length, agents, datastore);
  if (servers.length === 0) {
    // A server could hide among the hosts not measured, unless those are all declared agents.
    const unseen = nodes.some((n) => n.status !== 'ok' && n.declaredRole !== 'agent');
    if (leftOut.length) notes.push(`--limit leaves out the server${leftOut.length === 1 ? '' : 's'} ${leftOut.join(', ')}: the stage cannot be told without ${leftOut.length === 1 ? 'it' : 'them'}`);
    return { current: unseen || leftOut.length ? null : 0, servers: [], agents, monitoring, datastore, notes };
  }
  if (leftOut.length) notes.push(`--limit leaves out the server${leftOut.length === 1 ? '' : 's'} ${leftOut.join(', ')}: the stage is judged on the servers measured`);
  const ha = (servers.length >= 3 && datastore === 'etcd') || (servers.length >= 2 && datastore === 'external');
  const current: StageNumber = ha ? 4 : servers.length > 1 || agents.length > 0 ? 3 : monitoring ? 2 : 1;
  return { current, servers: servers.map((n) => n.name), agents, monitoring, datastore, notes };
}

function layoutNotes(nodes: readonly NodeReport[], serverCount: number, agents: string[], datastore: Topology['datastore']): string[] {
  const notes: string[] = [];
  if (datastore === 'etcd' && serverCount > 0 && serverCount < 3)
    notes.push(`embedded etcd with ${serverCount} server${serverCount === 1 ? '' : 's'} has no fault tolerance: quorum survives a lost member only from 3 servers`);
  if (datastore === 'mixed') notes.push('the servers report different datastores (etcd, SQLite, external): check the cluster before changing stage');
  const pending = (role: 'server' | 'agent') =>
    nodes.filter((n) => n.status === 'ok' && n.declaredRole === role && n.k3s && n.k3s.role !== role).map((n) => n.name);
  const pendingAgents = pending('agent');
  if (pendingAgents.length)
    notes.push(`inventory group agent lists ${pendingAgents.join(', ')} without a K3s agent installed: stage3-multi-node.ts joins ${pendingAgents.length === 1 ? 'it' : 'them'}`);
  const pendingServers = pending('server');
  if (pendingServers.length && serverCount > 0)
    notes.push(`inventory group server lists ${pendingServers.join(', ')} without a K3s server installed: stage4-ha.ts joins ${pendingServers.length === 1 ? 'it' : 'them'} to the control plane`);
  const unreadable = nodes.filter((n) => n.k3s && !n.k3s.dataDirReadable).map((n) => n.name);
  if (unreadable.length)
    notes.push(`${unreadable.join(', ')}: /var/lib/rancher/k3s could not be read; set ansible_become so the datastore and manifests can be seen`);
  if (agents.length && serverCount === 0) notes.push(`K3s agents (${agents.join(', ')}) were found but no reachable server`);
  return notes;
}
