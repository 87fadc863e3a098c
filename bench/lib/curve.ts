/**
 * The cost curve of a benchmark: warm wall time and node CPU per host against the number of
 * hosts, one series per tool and one for the floor (median of the runs at each N), drawn as
 * an SVG next to the results file.
 *
 *   curveCharts(measurements);   // [wall time chart, node CPU per host chart]
 *   curveSvg(measurements);      // '<svg …>' or undefined when nothing was measured warm
 */
import { cellValues, median } from './stats.ts';
import { svgDocument, type Chart, type Series } from './svg-plot.ts';
import { TOOLS, type Measurement, type Subject } from './types.ts';

const SUBJECTS: Subject[] = [...TOOLS, 'floor'];

/** The median of one metric at every N the subject was measured warm (failed runs left out). */
export function curveSeries(ms: Measurement[], subject: Subject, metric: (m: Measurement) => number | undefined): Series {
  const ns = [...new Set(ms.filter((m) => m.subject === subject && m.phase === 'warm').map((m) => m.n))].sort((a, b) => a - b);
  const points = ns.map((n) => ({ x: n, y: median(cellValues(ms, { n, phase: 'warm', subject }, metric)) })).filter((p) => Number.isFinite(p.y) && p.y > 0);
  return { name: subject, points, ...(subject === 'floor' ? { dashed: true } : {}) };
}

export function curveCharts(ms: Measurement[]): Chart[] {
  const series = (metric: (m: Measurement) => number | undefined) => SUBJECTS.map((s) => curveSeries(ms, s, metric)).filter((s) => s.points.length > 0);
  const common = { xLabel: 'hosts (N), log scale', xScale: 'log', yScale: 'log' } as const;
  return [
    { ...common, title: 'Warm run: wall time', yLabel: 'seconds (log scale)', series: series((m) => m.wallS) },
    { ...common, title: 'Warm run: node CPU per host', yLabel: 'CPU seconds per host (log scale)', series: series((m) => m.nodeCpuPerHostS) },
  ];
}

/** The SVG, or undefined when no warm run succeeded. */
export function curveSvg(ms: Measurement[]): string | undefined {
  const charts = curveCharts(ms);
  return charts.some((c) => c.series.length > 0) ? svgDocument(charts) : undefined;
}
