/**
 * One node against the roadmap's thresholds: hot (add capacity), watch (70% or more, or a
 * CPU spike), ok, or unknown (not measured), with a sentence for each finding.
 *
 *   assessNode(metrics, DEFAULT_THRESHOLDS, 'server1')
 *   // { pressure: 'hot', scaleOut: ['server1: CPU 84.2% on average over 5 s (above 80%)'], watch: [], disk: [] }
 *
 * Comparisons follow the roadmap's words: "CPU > 80% sustained" and "RAM > 90%" are strict
 * (exactly 80.0% does not trigger), "stay if utilization < 70%" means 70.0% is already watch.
 * Sustained means the window's average (the SSH sample or the Prometheus range); a peak
 * above 80% with a lower average is a spike and only a watch item.
 */
import type { NodeMetrics, Pressure, Thresholds } from './types.ts';

export interface NodeFindings {
  pressure: Pressure;
  /** Reasons to add capacity (CPU sustained above its line, RAM above its line). */
  scaleOut: string[];
  /** Reasons to keep an eye on the node: at or above the comfort line, spikes. */
  watch: string[];
  /** Disk findings: more nodes do not fix a full disk. */
  disk: string[];
}

export function assessNode(m: NodeMetrics | undefined, t: Thresholds, name: string): NodeFindings {
  if (!m) return { pressure: 'unknown', scaleOut: [], watch: [], disk: [] };
  const window = windowText(m.cpu);
  const scaleOut: string[] = [];
  const watch: string[] = [];
  const disk: string[] = [];
  if (m.cpu.average > t.cpuScaleOutPercent) scaleOut.push(`${name}: CPU ${pct(m.cpu.average, t.cpuScaleOutPercent)} on average ${window} (above ${t.cpuScaleOutPercent}%)`);
  else if (m.cpu.peak > t.cpuScaleOutPercent) watch.push(`${name}: CPU peaked at ${pct(m.cpu.peak)} but averaged ${pct(m.cpu.average)} ${window}: a spike, not sustained`);
  else if (m.cpu.average >= t.comfortPercent) watch.push(`${name}: CPU ${pct(m.cpu.average)} ${window} is at or above ${t.comfortPercent}%: headroom is shrinking`);
  if (m.memory.percent > t.memoryScaleOutPercent) scaleOut.push(`${name}: RAM ${pct(m.memory.percent, t.memoryScaleOutPercent)} used (above ${t.memoryScaleOutPercent}%)`);
  else if (m.memory.percent >= t.comfortPercent) watch.push(`${name}: RAM ${pct(m.memory.percent)} used is at or above ${t.comfortPercent}%: headroom is shrinking`);
  if (m.disk && m.disk.percent >= t.diskCriticalPercent) disk.push(`${name}: disk ${m.disk.mount} is ${pct(m.disk.percent)} full: grow the volume or clean up (more nodes do not relieve it)`);
  else if (m.disk && m.disk.percent >= t.comfortPercent) watch.push(`${name}: disk ${m.disk.mount} is ${pct(m.disk.percent)} full, at or above ${t.comfortPercent}%`);
  const pressure: Pressure = scaleOut.length ? 'hot' : watch.length || disk.length ? 'watch' : 'ok';
  return { pressure, scaleOut, watch, disk };
}

/** `over 5 s` or `over 15m (Prometheus)`. */
export function windowText(cpu: NodeMetrics['cpu']): string {
  if (cpu.source === 'prometheus') return `over ${formatDuration(cpu.windowSeconds)} (Prometheus)`;
  return `over ${formatDuration(cpu.windowSeconds)}`;
}

export function formatDuration(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds} s`;
}

/**
 * One decimal, so that 69.9% and 70.0% read differently; more when one decimal would show a
 * value above a line as the line itself (80.04% is not "80.0%, above 80%").
 */
export function pct(n: number, line?: number): string {
  let digits = 1;
  while (line !== undefined && n !== line && digits < 4 && Number(n.toFixed(digits)) === line) digits++;
  return `${n.toFixed(digits)}%`;
}
