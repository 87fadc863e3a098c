/**
 * Medians, ranges and paired ratios over the runs of one table cell.
 *
 *   median([3, 1, 2]);                       // 2
 *   summarise([1.2, 1.0, 1.4]);              // { median: 1.2, min: 1, max: 1.4, count: 3 }
 *   pairedRatios([10, 12], [2, 3]);          // [5, 4]: run i of one tool over run i of the other
 *   cellValues(measurements, { n: 5, phase: 'warm', subject: 'capstan' }, (m) => m.wallS);
 */
import type { Measurement, Phase, Subject } from './types.ts';

export interface Summary {
  median: number;
  min: number;
  max: number;
  count: number;
}

export function median(values: number[]): number {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? (xs[mid] as number) : ((xs[mid - 1] as number) + (xs[mid] as number)) / 2;
}

/** The summary of the finite values; undefined when there are none. */
export function summarise(values: number[]): Summary | undefined {
  const xs = values.filter(Number.isFinite);
  if (xs.length === 0) return undefined;
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), count: xs.length };
}

/** numerator[i] / denominator[i] for every run index both have (finite and positive). */
export function pairedRatios(numerator: number[], denominator: number[]): number[] {
  const count = Math.min(numerator.length, denominator.length);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const a = numerator[i];
    const b = denominator[i];
    if (a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0) out.push(a / b);
  }
  return out;
}

/** (max − min) / median: how far apart the runs of a cell are. */
export function spread(s: Summary): number {
  return s.median > 0 ? (s.max - s.min) / s.median : 0;
}

export interface CellKey {
  n: number;
  phase: Phase;
  subject: Subject;
}

/** The successful measurements of a cell, in run order. */
export function cellRuns(ms: Measurement[], key: CellKey): Measurement[] {
  return ms.filter((m) => m.n === key.n && m.phase === key.phase && m.subject === key.subject && !m.error).sort((a, b) => a.run - b.run);
}

/** One metric of a cell's successful runs, in run order. */
export function cellValues(ms: Measurement[], key: CellKey, metric: (m: Measurement) => number | undefined): number[] {
  return cellRuns(ms, key).map((m) => metric(m) ?? Number.NaN);
}

/**
 * Ratios of two subjects' wall times in a cell, paired by run index (runs were interleaved,
 * so run i of each saw the same conditions). A failed run leaves its pair out.
 */
export function cellRatios(ms: Measurement[], n: number, phase: Phase, numerator: Subject, denominator: Subject): number[] {
  const byRun = (subject: Subject) => new Map(cellRuns(ms, { n, phase, subject }).map((m) => [m.run, m.wallS]));
  const a = byRun(numerator);
  const b = byRun(denominator);
  const runs = [...a.keys()].filter((r) => b.has(r)).sort((x, y) => x - y);
  return pairedRatios(runs.map((r) => a.get(r) ?? Number.NaN), runs.map((r) => b.get(r) ?? Number.NaN));
}
