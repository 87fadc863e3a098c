/**
 * The roadmap's decision criteria as a pure function: measured nodes and the topology in,
 * the current stage, the stage to be at, the playbooks to run and why, out. No I/O.
 *
 *   decide([{ name: 'server1', declaredRole: 'server', status: 'ok', metrics, k3s }], { uptimeSla: 99.9 })
 *   // { current: 1, target: 4, action: 'move',
 *   //   plan: [{ stage: 3, playbook: 'playbooks/stage3-multi-node.ts', why: '...' },
 *   //          { stage: 4, playbook: 'playbooks/stage4-ha.ts', why: '...' }], reasons: [...], ... }
 *
 * Triggers: a K3s node with CPU above 80% on average over the window, or RAM above 90%,
 * calls for agents (stage 3; more agents when already there); an uptime SLA of 99.9% or
 * more calls for HA (stage 4). Without a trigger the advice is to stay. Capacity comes
 * first in the plan: it is the urgent one, and HA adds servers that also bring capacity.
 */
import { assessNode, type NodeFindings } from './assess.ts';
import { detectStage, type Topology } from './stage.ts';
import { DEFAULT_THRESHOLDS, ROADMAP_STAGES, type Advice, type NodeAssessment, type NodeReport, type PlanStep, type StageNumber, type Thresholds } from './types.ts';

export interface DecideOptions {
  /** Committed uptime, in percent (99.9); none means no SLA. */
  uptimeSla?: number;
  thresholds?: Thresholds;
  /** Servers of the inventory that were not looked at (left out by --limit). */
  serversLeftOut?: string[];
}

export function decide(nodes: readonly NodeReport[], options: DecideOptions = {}): Advice {
  const t = options.thresholds ?? DEFAULT_THRESHOLDS;
  const topo = detectStage(nodes, options.serversLeftOut);
  const counted = new Set(countedNodes(nodes, topo));
  const findings = new Map(nodes.map((n) => [n.name, assessNode(n.status === 'ok' ? n.metrics : undefined, t, n.name)] as const));
  const assessments: NodeAssessment[] = nodes.map((n) => ({ name: n.name, pressure: findings.get(n.name)?.pressure ?? 'unknown', counted: counted.has(n.name) }));
  const missing = nodes.filter((n) => n.status !== 'ok');
  const partial = missing.length > 0;
  const partialReason = partial
    ? [`advice is partial: ${missing.map((n) => `${n.name} ${n.status === 'unreachable' ? 'is unreachable' : 'could not be measured'}`).join(', ')}; it rests on ${nodes.length - missing.length} of ${nodes.length} hosts`]
    : [];
  if (topo.current === null) {
    return {
      current: null, target: null, action: 'unknown', plan: [], partial, nodes: assessments, notes: topo.notes,
      reasons: [...partialReason, options.serversLeftOut?.length ? 'the servers were left out, so the current stage cannot be told' : 'no K3s server could be reached, so the current stage cannot be told'],
    };
  }
  const mine = [...counted].map((n) => findings.get(n)).filter((f): f is NodeFindings => f !== undefined);
  const capacity = mine.flatMap((f) => f.scaleOut);
  const sla = slaFinding(options.uptimeSla, t, topo);
  const plan = planSteps({ ...topo, current: topo.current }, capacity, sla);
  const target = plan.reduce<StageNumber>((s, p) => (p.stage > s ? p.stage : s), topo.current);
  const action = topo.current === 0 ? 'install' : plan.length === 0 ? 'stay' : target > topo.current ? 'move' : 'scale-out';
  const reasons = [...partialReason, ...capacity, ...(sla.required ? [sla.text] : []), ...mine.flatMap((f) => f.disk)];
  if (plan.length === 0 || topo.current === 0) reasons.push(...stayReasons(topo, mine, t, sla.required ? undefined : sla.text));
  return { current: topo.current, target, action, plan, reasons, notes: notes(topo, nodes, capacity.length > 0, mine), partial, nodes: assessments };
}

/** The nodes whose load matters: K3s nodes; before K3s, the hosts meant to be servers. */
function countedNodes(nodes: readonly NodeReport[], topo: Topology): string[] {
  const k3s = [...topo.servers, ...topo.agents];
  if (k3s.length) return k3s;
  const declared = nodes.filter((n) => n.declaredRole === 'server').map((n) => n.name);
  return declared.length ? declared : nodes.map((n) => n.name);
}

function slaFinding(sla: number | undefined, t: Thresholds, topo: Topology): { required: boolean; text: string } {
  if (sla === undefined) return { required: false, text: 'no uptime SLA was given (--uptime-sla): HA is not called for' };
  if (sla < t.haSlaPercent) return { required: false, text: `an uptime SLA of ${sla}% is below ${t.haSlaPercent}%: the roadmap does not call for HA` };
  if (topo.current === 4) return { required: false, text: `the uptime SLA of ${sla}% is covered: ${topo.servers.length} servers on ${topo.datastore === 'external' ? 'an external datastore' : 'embedded etcd'}` };
  return { required: true, text: `an uptime SLA of ${sla}% needs a control plane that survives losing a server: 3 servers on embedded etcd behind a load balancer` };
}

function planSteps(topo: Topology & { current: StageNumber }, capacity: string[], sla: { required: boolean }): PlanStep[] {
  const current = topo.current;
  const steps: PlanStep[] = [];
  const step = (stage: StageNumber, why: string) => steps.push({ stage, playbook: ROADMAP_STAGES[stage].playbook ?? '', why });
  if (current === 0) step(1, 'install K3s on the server (roadmap stage 1)');
  else if (capacity.length && current < 3) step(3, 'add agents to take workloads off the server (put them in the agent group first)');
  else if (capacity.length) step(current === 4 ? 4 : 3, `add hosts to the agent group and run the stage ${current === 4 ? 4 : 3} playbook again to join them`);
  if (sla.required) {
    const servers = topo.servers.length;
    const migrate = topo.datastore === 'etcd' ? '' : `migrate from ${topo.datastore === 'sqlite' ? 'SQLite' : 'the current datastore'} to embedded etcd, `;
    step(4, `${migrate}join servers until there are 3 (now ${servers}), put HAProxy in front`);
  }
  return steps;
}

function stayReasons(topo: Topology, mine: NodeFindings[], t: Thresholds, slaText: string | undefined): string[] {
  const out: string[] = [];
  const watch = mine.flatMap((f) => f.watch);
  const measured = mine.filter((f) => f.pressure !== 'unknown');
  if (topo.current === 0) out.push('no K3s server was found on the reachable hosts');
  else if (measured.length === 0) out.push('no K3s node could be measured');
  else if (watch.length) out.push(...watch);
  else out.push(`every K3s node is below ${t.comfortPercent}% CPU, RAM and disk`);
  if (slaText) out.push(slaText);
  return out;
}

/** What would hurt on the day something breaks: alerts nobody receives, an HA cluster whose snapshots never leave it. */
function safetyNotes(topo: Topology, nodes: readonly NodeReport[]): string[] {
  const servers = nodes.filter((n) => topo.servers.includes(n.name) && n.k3s);
  const out: string[] = [];
  const stack = servers.filter((n) => n.k3s?.alertReceivers !== undefined);
  if (stack.length && !stack.some((n) => n.k3s?.alertReceivers))
    out.push('alerts go nowhere: the monitoring stack has no alert receivers; set alerting.receivers (webhook, email or slack) and run stage2-observability.ts again');
  if (topo.current === 4 && topo.datastore === 'etcd' && !servers.some((n) => n.k3s?.offsiteSnapshots?.length))
    out.push('HA cluster without off-site etcd snapshots: losing the servers loses the cluster; set etcd_s3 or snapshot_copy and run stage4-ha.ts again');
  return out;
}

function notes(topo: Topology, nodes: readonly NodeReport[], capacity: boolean, mine: NodeFindings[]): string[] {
  const out = [...safetyNotes(topo, nodes), ...topo.notes];
  const current = topo.current ?? 0;
  if (current >= 1 && !topo.monitoring)
    out.push('no observability stack: stage2-observability.ts when debugging needs more than logs; it also lets this advisor read 15-minute averages (--prometheus)');
  const sampled = nodes.some((n) => n.metrics && n.metrics.cpu.source !== 'prometheus');
  if (capacity && sampled) out.push('CPU was sampled over SSH for a short window: confirm it is sustained with --prometheus URL or a longer --sample-seconds before buying nodes');
  if (current >= 1 && mine.length > 1 && mine.some((f) => f.pressure === 'hot') && mine.some((f) => f.pressure === 'ok'))
    out.push('some nodes are hot while others are idle: check pod placement (affinity, requests) as well as capacity');
  return out;
}
