/**
 * Everything one benchmark produced, as data: the results file (Markdown) and its JSON twin
 * are both rendered from this.
 *
 *   const report: BenchReport = { ...header, measurements, settles, endState, problems };
 *   failedMeasurements(report);   // the measured commands that did not succeed
 */
import type { TalliedDifference } from './endstate-diff.ts';
import type { MachineInfo, Versions } from './machine.ts';
import type { BenchOptions, Measurement, Tool } from './types.ts';

/** An untimed run that converged the shared warm/check nodes before the timed runs. */
export interface SettleRun {
  n: number;
  tool: Tool;
  /** Tools that had converged these nodes before this run. */
  after: Tool[];
  /** The nodes are clones of one node this tool converged (see seed-image.ts). */
  clonedFrom?: Tool;
  changed?: number;
  error?: string;
}

export interface EndStateComparison {
  reference: Tool;
  tool: Tool;
  compared: number;
  identical: number;
  differences: TalliedDifference[];
}

export interface BenchReport {
  tiny: boolean;
  startedAt: string;
  finishedAt: string;
  command: string;
  options: BenchOptions;
  machine: MachineInfo;
  versions: Versions;
  repo: { dir: string; packages: string[]; filesServed: number };
  logsDir: string;
  measurements: Measurement[];
  settles: SettleRun[];
  endState: EndStateComparison[];
  /** Why the end states were not compared, when they were not. */
  endStateNote?: string;
  /** Failures of the harness itself (a node set that did not start, ...). */
  problems: string[];
  /**
   * Set while the run is not over (the file is rewritten after every N) or when it stopped
   * early: what is missing and why.
   */
  incomplete?: string;
}

export function failedMeasurements(r: Pick<BenchReport, 'measurements'>): Measurement[] {
  return r.measurements.filter((m) => m.error !== undefined);
}

/** Warm and check runs that reported changes although the nodes were converged. */
export function unexpectedChanges(r: Pick<BenchReport, 'measurements'>): Measurement[] {
  return r.measurements.filter((m) => (m.phase === 'warm' || m.phase === 'check') && m.subject !== 'floor' && !m.error && (m.changed ?? 0) > 0);
}

/**
 * True when every command succeeded, every end-state comparison found no difference, and
 * converged nodes stayed unchanged (warm and check runs reported no change).
 */
export function allGood(r: BenchReport): boolean {
  return r.incomplete === undefined && r.problems.length === 0 && failedMeasurements(r).length === 0 && unexpectedChanges(r).length === 0 &&
    r.endState.every((c) => c.differences.length === 0 && c.compared > 0);
}

/** One sentence for the end of the run. */
export function verdict(r: BenchReport): string {
  if (!allGood(r)) return 'NOT ALL GOOD: see the Analysis and Failures sections of the results';
  const ends = r.endStateNote ? `end states not compared (${r.endStateNote})` : 'the end states match';
  return `every command succeeded, converged nodes stayed unchanged, ${ends}`;
}
