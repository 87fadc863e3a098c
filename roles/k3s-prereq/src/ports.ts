/**
 * The openings a K3s node needs, by its part in the cluster (ports inbound, and the pod and
 * service networks as trusted sources), in the two syntaxes firewalls speak.
 *
 *   k3sOpenings({ node_role: 'server', embedded_etcd: true, wireguard: false, embedded_registry: false })
 *   // [{ ports: '6443', proto: 'tcp', why: 'API server and supervisor' }, { ports: '2379-2380', ... }, ...]
 *   ufwRule({ ports: '2379-2380', proto: 'tcp', why: '' })        // 'allow 2379:2380/tcp'
 *   firewalldPort({ ports: '2379-2380', proto: 'tcp', why: '' })  // '2379-2380/tcp'
 */
export interface PortOpening {
  /** One port or an inclusive range `FROM-TO`. */
  ports: string;
  proto: 'tcp' | 'udp';
  why: string;
}

export interface OpeningOptions {
  node_role: 'server' | 'agent';
  embedded_etcd: boolean;
  wireguard: boolean;
  embedded_registry: boolean;
}

export function k3sOpenings(o: OpeningOptions): PortOpening[] {
  const list: PortOpening[] = [];
  if (o.node_role === 'server') {
    list.push({ ports: '6443', proto: 'tcp', why: 'API server and supervisor' });
    if (o.embedded_etcd) list.push({ ports: '2379-2380', proto: 'tcp', why: 'embedded etcd between servers' });
  }
  list.push({ ports: '8472', proto: 'udp', why: 'Flannel VXLAN' }, { ports: '10250', proto: 'tcp', why: 'kubelet' });
  if (o.wireguard) list.push({ ports: '51820-51821', proto: 'udp', why: 'Flannel WireGuard' });
  if (o.embedded_registry) list.push({ ports: '5001', proto: 'tcp', why: 'embedded registry' });
  return list;
}

/** ufw writes ranges with a colon. */
export function ufwRule(p: PortOpening): string {
  return `allow ${p.ports.replace('-', ':')}/${p.proto}`;
}

export function ufwSourceRule(cidr: string): string {
  return `allow from ${cidr}`;
}

export function firewalldPort(p: PortOpening): string {
  return `${p.ports}/${p.proto}`;
}
