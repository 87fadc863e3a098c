/**
 * Builders of advisor inputs for the tests: a measured node in one line.
 *
 *   server('server1', { cpu: 85 })                         // stage-1 server on SQLite, CPU averaging 85%
 *   agent('agent1', { cpu: 10, mem: 95 })
 *   server('s1', { store: 'etcd', monitoring: true })
 *   down('agent2', 'agent')                                // unreachable
 */
import type { K3sProbe, NodeReport } from '../../src/advise/types.ts';

export interface Load {
  cpu?: number;
  /** Highest one-second interval; defaults to the average. */
  peak?: number;
  mem?: number;
  disk?: number;
  source?: 'proc-stat' | 'cgroup' | 'prometheus';
}

function metrics(l: Load): NodeReport['metrics'] {
  const cpu = l.cpu ?? 10;
  return {
    cpu: { average: cpu, peak: l.peak ?? cpu, source: l.source ?? 'proc-stat', windowSeconds: l.source === 'prometheus' ? 900 : 5 },
    memory: { percent: l.mem ?? 20, source: l.source === 'prometheus' ? 'prometheus' : 'meminfo' },
    disk: { percent: l.disk ?? 20, mount: '/' },
    load: { one: 0.1, five: 0.1, fifteen: 0.1, cpus: 2 },
  };
}

function probe(p: Partial<K3sProbe>): K3sProbe {
  return { role: null, datastore: null, active: false, monitoringManifests: [], dataDirReadable: true, ...p };
}

/** `receivers`: the monitoring stack has alert receivers; `offsite`: where an etcd server's snapshots go. */
export function server(name: string, l: Load & { store?: K3sProbe['datastore']; monitoring?: boolean; receivers?: boolean; offsite?: K3sProbe['offsiteSnapshots'] } = {}): NodeReport {
  const store = l.store ?? 'sqlite';
  return {
    name, declaredRole: 'server', status: 'ok', metrics: metrics(l),
    k3s: probe({
      role: 'server', datastore: store, active: true, monitoringManifests: l.monitoring ? ['monitoring-kube-prometheus-stack.yaml', 'monitoring-loki.yaml'] : [],
      ...(l.monitoring ? { alertReceivers: l.receivers ?? true } : {}),
      ...(store === 'etcd' ? { offsiteSnapshots: l.offsite ?? ['s3'] } : {}),
    }),
  };
}

export function agent(name: string, l: Load = {}): NodeReport {
  return { name, declaredRole: 'agent', status: 'ok', metrics: metrics(l), k3s: probe({ role: 'agent', active: true }) };
}

/** A host in the inventory with nothing of K3s installed on it. */
export function bare(name: string, declaredRole: NodeReport['declaredRole'], l: Load = {}): NodeReport {
  return { name, declaredRole, status: 'ok', metrics: metrics(l), k3s: probe({}) };
}

export function down(name: string, declaredRole: NodeReport['declaredRole']): NodeReport {
  return { name, declaredRole, status: 'unreachable', message: 'connection refused' };
}
