/**
 * What the K3s roles read about a server's cluster: the nodes the API server lists (with their
 * etcd role), and which datastore the server's data directory holds. Read-only, one command each.
 *
 *   clusterNodes()                          // [{ name, ready, etcd, controlPlane, version }] | null (API not answering)
 *   k3sDatastore('/var/lib/rancher/k3s')    // 'etcd' | 'sqlite' | 'none'
 */
import { defineFact, sh } from 'capstan';
import { K3S_BIN } from './facts.ts';
import { k3sPaths } from './paths.ts';

export interface ClusterNode {
  name: string;
  ready: boolean;
  etcd: boolean;
  controlPlane: boolean;
  version: string;
}

export const clusterNodes = defineFact<void, ClusterNode[] | null>({
  name: 'etcd.nodes',
  command: () => `${K3S_BIN} kubectl get nodes -o json 2>/dev/null || echo unavailable`,
  parse: parseNodes,
});

interface NodeJson {
  metadata?: { name?: string; labels?: Record<string, string> };
  status?: { conditions?: { type?: string; status?: string }[]; nodeInfo?: { kubeletVersion?: string } };
}

export function parseNodes(out: string): ClusterNode[] | null {
  if (out.trim() === 'unavailable' || !out.trim().startsWith('{')) return null;
  const items = (JSON.parse(out) as { items?: NodeJson[] }).items ?? [];
  return items.map((n) => {
    const labels = n.metadata?.labels ?? {};
    return {
      name: n.metadata?.name ?? '',
      ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      etcd: labels['node-role.kubernetes.io/etcd'] === 'true',
      controlPlane: labels['node-role.kubernetes.io/control-plane'] === 'true',
      version: n.status?.nodeInfo?.kubeletVersion ?? '',
    };
  });
}

export type LocalDatastore = 'etcd' | 'sqlite' | 'none';

/** The datastore in a server's data directory: server/db/etcd, else server/db/state.db, else none. */
export const k3sDatastore = defineFact<string, LocalDatastore>({
  name: 'k3s.datastore',
  command: (dataDir) => {
    const p = k3sPaths(dataDir);
    return sh`if [ -d ${p.etcd} ]; then echo etcd; elif [ -f ${p.stateDb} ]; then echo sqlite; else echo none; fi`;
  },
  parse: (out) => {
    const t = out.trim();
    return t === 'etcd' || t === 'sqlite' ? t : 'none';
  },
});
