/**
 * The analysis section of the results file, filled from the numbers: how far each tool is
 * from Capstan and Capstan from the floor (wall time, and node CPU per warm host), how times
 * grow with N, where the controller's CPU goes and where one controller saturates, which
 * cells are too noisy to trust, and what did not go as it should.
 *
 *   analysisLines(report);
 *   // ['ansible-pipelining took 3.1×–9.0× Capstan's wall time …', 'Furthest from the floor: N=20 check …', …]
 */
import { failedMeasurements, unexpectedChanges, type BenchReport } from './report.ts';
import { floorNodeCpu, floorWalls, tableRows } from './report-tables.ts';
import { cellRatios, cellValues, median, spread, summarise } from './stats.ts';
import { formatNumber } from './table.ts';
import type { Measurement, Phase, Subject, Tool } from './types.ts';

type Data = Pick<BenchReport, 'measurements' | 'options' | 'machine' | 'settles' | 'endState' | 'endStateNote' | 'problems'>;

const x = (v: number) => `${v.toFixed(v >= 10 ? 0 : 1)}×`;
const s = (v: number) => `${formatNumber(v)} s`;
const cellName = (n: number, phase: Phase) => `N=${n} ${phase}`;
const firstLine = (text: string, max = 160) => {
  const line = text.split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
};

function medianWall(ms: Measurement[], n: number, phase: Phase, subject: Subject): number {
  return median(cellValues(ms, { n, phase, subject }, (m) => m.wallS));
}

function ratioLines(d: Data): string[] {
  if (!d.options.tools.includes('capstan')) return [];
  return d.options.tools.filter((t) => t !== 'capstan').flatMap((tool) => {
    const cells = tableRows(d.measurements)
      .map(({ n, phase }) => ({ n, phase, ratio: median(cellRatios(d.measurements, n, phase, tool, 'capstan')) }))
      .filter((c) => Number.isFinite(c.ratio))
      .sort((a, b) => a.ratio - b.ratio);
    const lo = cells[0];
    const hi = cells[cells.length - 1];
    if (!lo || !hi) return [];
    if (lo === hi) return [`${tool} took ${x(lo.ratio)} Capstan's wall time at ${cellName(lo.n, lo.phase)} (median of the paired runs).`];
    return [`${tool} took ${x(lo.ratio)}–${x(hi.ratio)} Capstan's wall time (median of the paired runs of each cell): ` +
      `the gap is smallest at ${cellName(lo.n, lo.phase)} (${x(lo.ratio)}) and largest at ${cellName(hi.n, hi.phase)} (${x(hi.ratio)}).`];
  });
}

function floorLines(d: Data): string[] {
  const cells = tableRows(d.measurements).flatMap(({ n, phase }) => {
    const floor = median(floorWalls(d.measurements, n));
    const capstan = medianWall(d.measurements, n, phase, 'capstan');
    return Number.isFinite(floor) && Number.isFinite(capstan) ? [{ n, phase, floor, capstan, ratio: capstan / floor }] : [];
  });
  const far = [...cells].sort((a, b) => b.ratio - a.ratio)[0];
  if (!far) return [];
  const ns = [...new Set(cells.map((c) => c.n))].sort((a, b) => a - b);
  const largest = ns[ns.length - 1];
  const atLargest = cells.filter((c) => c.n === largest).map((c) => `${c.phase} ${x(c.ratio)}`).join(', ');
  return [
    `Furthest from the floor: ${cellName(far.n, far.phase)}, where Capstan takes ${x(far.ratio)} the floor (${s(far.capstan)} against ${s(far.floor)} for one batched probe per host).`,
    `At N=${largest}, Capstan over the floor: ${atLargest}.`,
  ];
}

function growthLines(d: Data): string[] {
  const subjects: Tool[] = d.options.tools;
  const phases: Phase[] = ['cold', 'warm', 'check'];
  return phases.flatMap((phase) => {
    const parts = subjects.flatMap((tool) => {
      const ns = [...new Set(d.measurements.filter((m) => m.subject === tool && m.phase === phase && !m.error).map((m) => m.n))].sort((a, b) => a - b);
      const first = ns[0];
      const last = ns[ns.length - 1];
      if (first === undefined || last === undefined || first === last) return [];
      const growth = medianWall(d.measurements, last, phase, tool) / medianWall(d.measurements, first, phase, tool);
      return Number.isFinite(growth) ? [`${tool} ${x(growth)} (N=${first}→${last})`] : [];
    });
    return parts.length ? [`How ${phase} wall time grows with the number of hosts: ${parts.join(', ')}.`] : [];
  });
}

function cpuLines(d: Data): string[] {
  const cores = d.machine.cores;
  return d.options.tools.flatMap((tool) => {
    const ms = d.measurements.filter((m) => m.subject === tool && !m.error && m.phase === 'warm');
    const n = Math.max(...ms.map((m) => m.n));
    const at = ms.filter((m) => m.n === n);
    if (at.length === 0) return [];
    const cpu = median(at.map((m) => m.cpuS));
    const busy = median(at.map((m) => m.cpuS / m.wallS));
    const bound = busy >= 0.8 * cores ? `: the controller's ${cores} cores were the limit` : '';
    return [`${tool}, warm at N=${n}: ${s(cpu)} of controller CPU (${s(cpu / n)} per host), ${busy.toFixed(1)} of ${cores} cores busy on average${bound}.`];
  });
}

/** Node CPU per warm host against the floor's, at every N (the target is at most 2×). */
function nodeCpuLines(d: Data): string[] {
  const cells = [...new Set(d.measurements.map((m) => m.n))].sort((a, b) => a - b).flatMap((n) => {
    const capstan = median(cellValues(d.measurements, { n, phase: 'warm', subject: 'capstan' }, (m) => m.nodeCpuPerHostS));
    const floor = median(floorNodeCpu(d.measurements, n));
    return Number.isFinite(capstan) && Number.isFinite(floor) && floor > 0 ? [{ n, capstan, floor }] : [];
  });
  if (cells.length === 0) return [];
  const parts = cells.map((c) => `N=${c.n} ${s(c.capstan)} against ${s(c.floor)}, ${x(c.capstan / c.floor)}`);
  const over = cells.filter((c) => c.capstan / c.floor > 2).map((c) => `N=${c.n}`);
  return [`Node CPU per warm host, Capstan against the floor's: ${parts.join('; ')} ` +
    `(target: at most 2×; ${over.length ? `above it at ${over.join(', ')}` : 'met everywhere'}).`];
}

/** Where one controller stands at the largest N Capstan ran: CPU, memory, descriptors and connections. */
function saturationLines(d: Data): string[] {
  const ms = d.measurements.filter((m) => m.subject === 'capstan' && !m.error && (m.phase === 'warm' || m.phase === 'check'));
  if (ms.length === 0) return [];
  const n = Math.max(...ms.map((m) => m.n));
  const at = ms.filter((m) => m.n === n);
  const busy = median(at.map((m) => m.cpuS / m.wallS));
  const rssMiB = Math.max(...at.map((m) => m.maxRssKb)) / 1024;
  const fds = Math.max(...at.map((m) => m.peakFds ?? Number.NaN).filter(Number.isFinite));
  const sockets = Math.max(...at.map((m) => m.peakSockets ?? Number.NaN).filter(Number.isFinite));
  const limit = at.find((m) => m.fdLimit !== undefined)?.fdLimit;
  const fdPart = Number.isFinite(fds) ? `, at most ${fds} open descriptors (${sockets} sockets)${limit ? ` of a limit of ${limit} (${Math.round((fds / limit) * 100)} %)` : ''}` : '';
  const limits = [
    ...(busy >= 0.8 * d.machine.cores ? [`CPU (${busy.toFixed(1)} of ${d.machine.cores} cores busy)`] : []),
    ...(limit && fds >= 0.8 * limit ? ['open descriptors'] : []),
  ];
  return [`One controller at N=${n} (warm and check): ${busy.toFixed(1)} of ${d.machine.cores} cores busy, peak ${rssMiB.toFixed(0)} MiB${fdPart}; ` +
    (limits.length ? `it saturates on ${limits.join(' and ')}.` : 'none of these is near its limit.')];
}

function noiseLines(d: Data): string[] {
  const noisy = tableRows(d.measurements).flatMap(({ n, phase }) => (['floor', ...d.options.tools] as Subject[]).flatMap((subject) => {
    const sum = summarise(cellValues(d.measurements, { n, phase, subject }, (m) => m.wallS));
    return sum && sum.count > 1 && spread(sum) > 0.25 ? [`${cellName(n, phase)} ${subject} (${Math.round(spread(sum) * 100)} %)`] : [];
  }));
  return noisy.length ? [`Noisy cells, runs more than 25 % apart (rerun on a quiet machine before quoting them): ${noisy.join(', ')}.`] : [];
}

function problemLines(d: Data): string[] {
  const lines: string[] = d.problems.map((p) => `Problem: ${firstLine(p)}`);
  const failed = failedMeasurements(d);
  if (failed.length) {
    const first = failed.slice(0, 5).map((m) => `${cellName(m.n, m.phase)} ${m.subject} run ${m.run}: ${firstLine(m.error ?? '')}`);
    lines.push(`${failed.length} of ${d.measurements.length} measured commands failed and are left out of the numbers: ${first.join('; ')}${failed.length > 5 ? '; …' : ''}.`);
  }
  const changed = unexpectedChanges(d);
  if (changed.length) {
    lines.push(`Runs on converged nodes that still reported changes (their times include that work): ${changed.map((m) => `${cellName(m.n, m.phase)} ${m.subject} run ${m.run} (${m.changed})`).join(', ')}.`);
  }
  for (const st of d.settles.filter((x) => x.after.length > 0 && (x.changed ?? 0) > 0)) {
    lines.push(`At N=${st.n}, ${st.tool} changed ${st.changed} things on nodes ${st.after.join(' and ')} had converged: the tools do not reach the same state.`);
  }
  return lines;
}

function endStateLines(d: Data): string[] {
  if (d.endStateNote) return [`End state: ${d.endStateNote}.`];
  return d.endState.map((c) => c.differences.length === 0
    ? `End state: ${c.tool} and ${c.reference} left identical nodes (${c.identical} of ${c.compared} nodes compared after cold runs).`
    : `End state: ${c.tool} and ${c.reference} differ in ${c.differences.length} ways on ${c.compared - c.identical} of ${c.compared} nodes (see "End state").`);
}

export function analysisLines(d: Data): string[] {
  return [...problemLines(d), ...endStateLines(d), ...ratioLines(d), ...floorLines(d), ...nodeCpuLines(d), ...growthLines(d), ...cpuLines(d), ...saturationLines(d), ...noiseLines(d)];
}
