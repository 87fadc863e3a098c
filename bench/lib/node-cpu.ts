/**
 * Node CPU: the CPU time the nodes' containers spent during a measured command, read from
 * each container's cumulative counter before and after it. The counter is the container's
 * cgroup (hierarchical: systemd's units inside the node are included):
 *   cgroup v1 (cgroupfs driver): /sys/fs/cgroup/cpuacct/docker/<id>/cpuacct.usage (ns)
 *   cgroup v2 (cgroupfs driver): /sys/fs/cgroup/docker/<id>/cpu.stat, usage_usec
 *   cgroup v2 (systemd driver):  /sys/fs/cgroup/system.slice/docker-<id>.scope/cpu.stat
 * and, when none of these can be read, Docker's one-shot stats (cpu_stats.cpu_usage.total_usage, ns).
 *
 *   const before = await readNodesCpu(ids);              // { totalS: 812.4, unread: [] }
 *   await runTheCommand();
 *   const after = await readNodesCpu(ids);
 *   cpuPerHost(before, after, ids.length);               // 0.21: seconds of node CPU per host
 *   parseCpuStatUsage('usage_usec 1500000\nuser_usec 1000000\n');   // 1.5
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { docker } from '../../src/testing/docker.ts';

/** Where a container's cumulative CPU can be read, and how its file is written. */
export interface CpuCounterFile {
  path: string;
  format: 'cpuacct.usage' | 'cpu.stat';
}

/** The counter files of a container (full id), in the order they are tried. */
export function cpuCounterFiles(containerId: string, cgroupRoot = '/sys/fs/cgroup'): CpuCounterFile[] {
  return [
    { path: join(cgroupRoot, 'cpuacct/docker', containerId, 'cpuacct.usage'), format: 'cpuacct.usage' },
    { path: join(cgroupRoot, 'cpu,cpuacct/docker', containerId, 'cpuacct.usage'), format: 'cpuacct.usage' },
    { path: join(cgroupRoot, 'docker', containerId, 'cpu.stat'), format: 'cpu.stat' },
    { path: join(cgroupRoot, 'system.slice', `docker-${containerId}.scope`, 'cpu.stat'), format: 'cpu.stat' },
  ];
}

/** cgroup v1's cpuacct.usage (nanoseconds) in seconds; NaN when it is not a number. */
export function parseCpuacctUsage(text: string): number {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) / 1e9 : Number.NaN;
}

/** cgroup v2's cpu.stat usage_usec in seconds; NaN when the line is missing. */
export function parseCpuStatUsage(text: string): number {
  const m = /^usage_usec (\d+)$/m.exec(text);
  return m?.[1] ? Number(m[1]) / 1e6 : Number.NaN;
}

/** Docker's stats answer (cpu_stats.cpu_usage.total_usage, nanoseconds) in seconds. */
export function statsUsage(stats: unknown): number {
  const total = (stats as { cpu_stats?: { cpu_usage?: { total_usage?: unknown } } } | undefined)?.cpu_stats?.cpu_usage?.total_usage;
  return typeof total === 'number' && Number.isFinite(total) ? total / 1e9 : Number.NaN;
}

async function fromFiles(containerId: string, cgroupRoot: string): Promise<number> {
  for (const f of cpuCounterFiles(containerId, cgroupRoot)) {
    const text = await readFile(f.path, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const s = f.format === 'cpuacct.usage' ? parseCpuacctUsage(text) : parseCpuStatUsage(text);
    if (Number.isFinite(s)) return s;
  }
  return Number.NaN;
}

async function fromDockerStats(containerId: string): Promise<number> {
  // 'one-shot' is an engine query parameter that dockerode passes on; its type declarations omit it.
  const options = { stream: false, 'one-shot': true } as { stream: false };
  const stats = await docker().getContainer(containerId).stats(options).catch(() => undefined);
  return statsUsage(stats);
}

/** One container's cumulative CPU in seconds (NaN when it cannot be read at all). */
export async function containerCpuS(containerId: string, o: { cgroupRoot?: string; dockerStats?: boolean } = {}): Promise<number> {
  const s = await fromFiles(containerId, o.cgroupRoot ?? '/sys/fs/cgroup');
  if (Number.isFinite(s) || o.dockerStats === false) return s;
  return fromDockerStats(containerId);
}

/** The nodes' cumulative CPU at one moment: the sum, and the containers that could not be read. */
export interface NodesCpu {
  totalS: number;
  unread: string[];
}

/** Reads every container's counter at once. */
export async function readNodesCpu(containerIds: string[], o: { cgroupRoot?: string; dockerStats?: boolean } = {}): Promise<NodesCpu> {
  const values = await Promise.all(containerIds.map((id) => containerCpuS(id, o)));
  const unread = containerIds.filter((_, i) => !Number.isFinite(values[i]));
  return { totalS: values.reduce((sum, v) => (Number.isFinite(v) ? sum + v : sum), 0), unread };
}

/**
 * Seconds of node CPU per host between two readings; NaN when a container could not be read
 * (a partial sum would understate it) or the counter went backwards (a container restarted).
 */
export function cpuPerHost(before: NodesCpu, after: NodesCpu, hosts: number): number {
  if (hosts < 1 || before.unread.length || after.unread.length) return Number.NaN;
  const spent = after.totalS - before.totalS;
  return spent >= 0 ? spent / hosts : Number.NaN;
}
