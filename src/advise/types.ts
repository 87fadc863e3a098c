/**
 * The stage advisor's data: what was measured on each node, what K3s layout was found, and
 * the advice computed from them. Plain JSON values, so `capstan advise --json` prints them as is.
 *
 *   const node: NodeReport = {
 *     name: 'server1', declaredRole: 'server', status: 'ok',
 *     metrics: { cpu: { average: 84.2, peak: 97.0, source: 'proc-stat', windowSeconds: 5 },
 *                memory: { percent: 41.3, source: 'meminfo' }, disk: { percent: 23.8, mount: '/' } },
 *     k3s: { role: 'server', datastore: 'sqlite', active: true, monitoringManifests: [], dataDirReadable: true },
 *   };
 *   ROADMAP_STAGES[3].playbook   // 'playbooks/stage3-multi-node.ts'
 */

/** The roadmap's stages (seed/INFRASTRUCTURE_ROADMAP.md); 0 means K3s is not installed yet. */
export type StageNumber = 0 | 1 | 2 | 3 | 4;

export interface StageInfo {
  stage: StageNumber;
  title: string;
  /** The playbook that brings a cluster to this stage; none for stage 0. */
  playbook?: string;
}

export const ROADMAP_STAGES: Record<StageNumber, StageInfo> = {
  0: { stage: 0, title: 'no K3s server' },
  1: { stage: 1, title: 'single K3s node', playbook: 'playbooks/stage1-single-node.ts' },
  2: { stage: 2, title: 'observability stack', playbook: 'playbooks/stage2-observability.ts' },
  3: { stage: 3, title: 'multi-node cluster', playbook: 'playbooks/stage3-multi-node.ts' },
  4: { stage: 4, title: 'high availability', playbook: 'playbooks/stage4-ha.ts' },
};

/** The roadmap's decision criteria, in percent (and the SLA that calls for HA). */
export interface Thresholds {
  /** "Stay at current stage if resource utilization < 70%": at or above it, headroom is shrinking. */
  comfortPercent: number;
  /** "Single node CPU > 80% sustained": strictly above it, add agents. */
  cpuScaleOutPercent: number;
  /** "RAM > 90%": strictly above it, add agents. */
  memoryScaleOutPercent: number;
  /** A disk this full needs a bigger volume (more nodes do not help the server's datastore). */
  diskCriticalPercent: number;
  /** "Uptime SLA > 99.9% required": an SLA at or above this calls for HA. */
  haSlaPercent: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  comfortPercent: 70,
  cpuScaleOutPercent: 80,
  memoryScaleOutPercent: 90,
  diskCriticalPercent: 85,
  haSlaPercent: 99.9,
};

export interface CpuMetric {
  /** Mean utilisation over the window: what "sustained" is judged on. */
  average: number;
  /** Highest utilisation of one interval inside the window (a spike when only this is high). */
  peak: number;
  /** `proc-stat` (whole machine), `cgroup` (a container node: usage against its CPU quota) or `prometheus`. */
  source: 'proc-stat' | 'cgroup' | 'prometheus';
  windowSeconds: number;
}

export interface NodeMetrics {
  cpu: CpuMetric;
  /** Used memory: MemTotal - MemAvailable, or a container's usage against its memory limit. */
  memory: { percent: number; source: 'meminfo' | 'cgroup' | 'prometheus' };
  /** The filesystem holding the K3s data directory (or `/` when K3s is absent). */
  disk?: { percent: number; mount: string };
  load?: { one: number; five: number; fifteen: number; cpus: number };
}

/** What the read-only probes found of K3s on one host. */
export interface K3sProbe {
  /** Installed as a server (k3s unit or datastore present), as an agent, or not at all. */
  role: 'server' | 'agent' | null;
  /** etcd (db/etcd), sqlite (db/state.db), external (a server with neither) or unknown. */
  datastore: 'etcd' | 'sqlite' | 'external' | null;
  /** The k3s or k3s-agent service is running. */
  active: boolean;
  /** helm-monitoring files in the auto-deploy manifests directory. */
  monitoringManifests: string[];
  /** False when the data directory exists but could not be read (no privilege escalation). */
  dataDirReadable: boolean;
  /** With monitoring manifests: whether Alertmanager was given receivers (helm-monitoring `alerting`). */
  alertReceivers?: boolean;
  /** On embedded etcd: where snapshots leave the host (etcd-s3 in config.yaml, the snapshot copy timer). */
  offsiteSnapshots?: Array<'s3' | 'copy-timer'>;
}

export type NodeStatus = 'ok' | 'unreachable' | 'failed';

export interface NodeReport {
  name: string;
  /** Membership of the k3s-ansible groups `server` / `agent` in the inventory. */
  declaredRole: 'server' | 'agent' | null;
  status: NodeStatus;
  /** Why the host is unreachable or failed. */
  message?: string;
  metrics?: NodeMetrics;
  k3s?: K3sProbe;
}

/** A node's standing against the thresholds. */
export type Pressure = 'hot' | 'watch' | 'ok' | 'unknown';

export interface NodeAssessment {
  name: string;
  pressure: Pressure;
  /** Whether the node counts for capacity (a K3s node, or a declared one before K3s is installed). */
  counted: boolean;
}

export interface PlanStep {
  stage: StageNumber;
  playbook: string;
  why: string;
}

export type AdviceAction = 'install' | 'stay' | 'move' | 'scale-out' | 'unknown';

export interface Advice {
  /** The stage the hosts are at, or null when the servers could not be reached. */
  current: StageNumber | null;
  /** The stage to be at; equal to `current` when staying. */
  target: StageNumber | null;
  action: AdviceAction;
  /** Playbooks to run, in order; the first is the next thing to do. */
  plan: PlanStep[];
  /** Why, one sentence each, most important first. */
  reasons: string[];
  /** Things worth knowing that do not change the advice. */
  notes: string[];
  /** Some hosts could not be measured: the advice rests on the others. */
  partial: boolean;
  nodes: NodeAssessment[];
}
