/**
 * Measures the inventory's K3s hosts over SSH: one connection and one batched, read-only
 * command per host (probe-script.ts), hosts in parallel. A host that cannot be reached is
 * reported as unreachable; one whose output cannot be read as failed; neither stops the others.
 *
 *   const inv = await loadInventoryView(['hosts.yml']);
 *   const nodes = await gatherNodes(inv, connectorFactory({}), { sampleSeconds: 5 });
 *   nodes[0]   // { name: 'server1', declaredRole: 'server', status: 'ok', metrics: {...}, k3s: {...} }
 *
 * Hosts: the groups `server` and `agent` (k3s-ansible's inventory shape) when the inventory
 * has them, else every host; `limit` narrows them like --limit. Privilege escalation follows
 * each host's ansible_become settings (the K3s data directory is readable by root only).
 */
import PQueue from 'p-queue';
import type { Become, Connector, ConnectorFactory, HostConnection } from '../connectors/connector.ts';
import type { InventoryView } from '../engine/inventory-view.ts';
import { buildBatch, parseBatch, type SectionOutput } from '../engine/batch.ts';
import { ConnectionError } from '../errors.ts';
import { parseCpu } from './cpu.ts';
import { parseDisk, parseK3s, parseLoad, parseMemory } from './parse.ts';
import { adviseSections } from './probe-script.ts';
import type { NodeMetrics, NodeReport } from './types.ts';

export interface GatherOptions {
  /** CPU sampling window in whole seconds. */
  sampleSeconds: number;
  limit?: string;
  /** Hosts measured at once (default 10). */
  forks?: number;
}

/** The hosts the advisor looks at, with their declared K3s role. */
export function adviseTargets(inv: InventoryView, limit?: string): Array<{ name: string; declaredRole: NodeReport['declaredRole'] }> {
  const servers = new Set(inv.groupHosts('server'));
  const agents = new Set(inv.groupHosts('agent'));
  const groups = [servers.size ? 'server' : '', agents.size ? 'agent' : ''].filter(Boolean);
  const hosts = inv.select(groups.length ? groups.join(':') : 'all', limit);
  return hosts.map((name) => ({ name, declaredRole: servers.has(name) ? 'server' : agents.has(name) ? 'agent' : null }));
}

export async function gatherNodes(inv: InventoryView, factory: ConnectorFactory, o: GatherOptions): Promise<NodeReport[]> {
  const targets = adviseTargets(inv, o.limit);
  // Connection settings and connectors are made for every host before any is contacted, so
  // that a bad setting stops the command with nothing run.
  const prepared = targets.map((t) => {
    const conn = inv.connection(t.name);
    return { ...t, conn, connector: factory(conn) };
  });
  const queue = new PQueue({ concurrency: Math.max(1, o.forks ?? 10) });
  return Promise.all(prepared.map((p) => queue.add(() => measureHost(p.connector, p.conn, p.declaredRole, o.sampleSeconds))));
}

/** Connects, sends the one batched command, closes; never throws for a host's own trouble. */
export async function measureHost(c: Connector, conn: HostConnection, declaredRole: NodeReport['declaredRole'], sampleSeconds: number): Promise<NodeReport> {
  const base = { name: conn.name, declaredRole };
  const sections = adviseSections(sampleSeconds);
  const { script, marker } = buildBatch(sections);
  try {
    await c.connect();
    const res = await c.exec({ script, become: becomeOf(conn), timeoutMs: (sampleSeconds + 60) * 1000, display: 'advise: read-only utilisation and K3s probes' });
    if (res.timedOut) return { ...base, status: 'failed', message: `the probes did not finish within ${sampleSeconds + 60} s` };
    const out = parseBatch(res.stdout, marker, sections);
    return { ...base, ...readSections(out, res.stderr, res.exitCode) };
  } catch (e) {
    if (e instanceof ConnectionError) {
      const prefix = `${conn.name}: `;
      return { ...base, status: 'unreachable', message: e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message };
    }
    throw e;
  } finally {
    await c.close().catch(() => undefined);
  }
}

function readSections(out: Map<string, SectionOutput>, stderr: string, exitCode: number): Pick<NodeReport, 'status' | 'message' | 'metrics' | 'k3s'> {
  const cpu = out.get('cpu');
  const mem = out.get('mem');
  if (!cpu || !mem || cpu.exitCode !== 0) {
    const why = stderr.trim() || `exit ${cpu?.exitCode ?? exitCode}`;
    return { status: 'failed', message: `the probes did not run: ${why}` };
  }
  const problems: string[] = [];
  const optional = <T>(what: string, f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
      return undefined;
    }
  };
  let metrics: NodeMetrics;
  try {
    metrics = { cpu: parseCpu(cpu.stdout), memory: parseMemory(mem.stdout) };
  } catch (e) {
    return { status: 'failed', message: `could not read CPU or memory: ${(e as Error).message}` };
  }
  const disk = optional('disk', () => parseDisk(out.get('disk')?.stdout ?? ''));
  const load = optional('load', () => parseLoad(out.get('load')?.stdout ?? ''));
  if (disk) metrics.disk = disk;
  if (load) metrics.load = load;
  const k3s = parseK3s(out.get('k3s')?.stdout ?? '');
  return { status: 'ok', metrics, k3s, ...(problems.length ? { message: problems.join('; ') } : {}) };
}

function becomeOf(conn: HostConnection): Become | undefined {
  if (!conn.become?.enabled) return undefined;
  return { user: conn.become.user ?? 'root', method: 'sudo', ...(conn.become.password ? { password: conn.become.password } : {}) };
}
