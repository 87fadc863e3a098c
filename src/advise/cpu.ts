/**
 * CPU utilisation from the samples the probe takes once a second: the window's average
 * (what "sustained" is judged on) and the busiest one-second interval (the peak).
 *
 *   parseCpu([
 *     'cpus 2',
 *     't 1000000000', 'cpu  100 0 100 800 0 0 0 0 0 0',
 *     't 2000000000', 'cpu  250 0 150 800 0 0 0 0 0 0',
 *   ].join('\n'))
 *   // { average: 100, peak: 100, source: 'proc-stat', windowSeconds: 1 }
 *
 * /proc/stat: busy = user + nice + system + irq + softirq + steal; idle and iowait are
 * idle (as in the node-exporter rules the monitoring stack uses); guest time is already
 * inside user. A container node (`cg` lines, nanoseconds of CPU used by its cgroup) is
 * measured against its quota (`quota 20000 100000` = 0.2 CPU), or its CPU count when it has none.
 */
import { clamp } from './parse.ts';
import type { CpuMetric } from './types.ts';

interface Sample {
  t: bigint;
  busy: number;
  total: number;
  cg?: bigint;
}

export function parseCpu(text: string): CpuMetric {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const cpus = Number(/^cpus (\d+)$/m.exec(text)?.[1] ?? 0);
  const samples = readSamples(lines);
  if (samples.length < 2) throw new Error(`expected at least two /proc/stat samples, got ${samples.length}: ${JSON.stringify(text.slice(0, 160))}`);
  const first = samples[0] as Sample;
  const last = samples[samples.length - 1] as Sample;
  const windowSeconds = Math.max(1, Math.round(Number(last.t - first.t) / 1e9));
  const allowed = allowedCpus(text, cpus);
  const cgroup = allowed !== undefined && samples.every((s) => s.cg !== undefined);
  const util = (a: Sample, b: Sample) => (cgroup ? cgroupUtil(a, b, allowed) : procUtil(a, b));
  let peak = 0;
  for (let i = 1; i < samples.length; i++) peak = Math.max(peak, util(samples[i - 1] as Sample, samples[i] as Sample));
  return { average: util(first, last), peak, source: cgroup ? 'cgroup' : 'proc-stat', windowSeconds };
}

function readSamples(lines: string[]): Sample[] {
  const out: Sample[] = [];
  let cur: Partial<Sample> | undefined;
  for (const line of lines) {
    if (line.startsWith('t ')) {
      if (cur?.t !== undefined && cur.total !== undefined) out.push(cur as Sample);
      cur = { t: BigInt(line.slice(2).trim() || '0') };
    } else if (line.startsWith('cpu ') && cur) {
      const f = line.split(/\s+/).slice(1).map(Number);
      if (f.length < 4 || f.some((x) => !Number.isFinite(x))) throw new Error(`unexpected /proc/stat line ${JSON.stringify(line)}`);
      const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
      cur.busy = user + nice + system + irq + softirq + steal;
      cur.total = cur.busy + idle + iowait;
    } else if (line.startsWith('cg ') && cur && /^cg \d+$/.test(line)) {
      cur.cg = BigInt(line.slice(3));
    }
  }
  if (cur?.t !== undefined && cur.total !== undefined) out.push(cur as Sample);
  return out;
}

/** CPUs the node may use: its cgroup quota, else its CPU count; undefined when it is no container. */
function allowedCpus(text: string, cpus: number): number | undefined {
  const q = /^quota (\S+) (\d+)$/m.exec(text);
  if (!q) return undefined;
  const quota = Number(q[1]);
  const period = Number(q[2]);
  if (Number.isFinite(quota) && quota > 0 && period > 0) return quota / period;
  return cpus > 0 ? cpus : undefined;
}

function procUtil(a: Sample, b: Sample): number {
  const total = b.total - a.total;
  return total <= 0 ? 0 : clamp((100 * (b.busy - a.busy)) / total);
}

function cgroupUtil(a: Sample, b: Sample, allowed: number): number {
  const wall = Number(b.t - a.t);
  const used = Number((b.cg ?? 0n) - (a.cg ?? 0n));
  return wall <= 0 ? 0 : clamp((100 * used) / (wall * allowed));
}
