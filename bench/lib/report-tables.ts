/**
 * The tables of the results file: wall time with ratios and the floor, controller resources,
 * and what the tools reported (changes, Capstan's round trips).
 *
 *   wallTable(report);        // '| N | phase | capstan | ansible-pipelining | … | floor | … |\n…'
 *   resourceTable(report);
 *   reportedTable(report);
 *   nodeCpuTable(report);     // '| N | phase | capstan | … | floor | capstan / floor |\n…' (node CPU s per host)
 *   descriptorTable(report);  // peak open descriptors (sockets) of each tool's controller
 */
import type { BenchReport } from './report.ts';
import { cellRatios, cellRuns, cellValues, summarise, type CellKey } from './stats.ts';
import { formatMiB, formatRatio, formatSummary, markdownTable } from './table.ts';

const formatCount = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
import type { Measurement, Phase, Tool } from './types.ts';

type Data = Pick<BenchReport, 'measurements' | 'options'>;

/** The (N, phase) rows that have at least one tool measurement, in order. */
export function tableRows(ms: Measurement[]): Array<{ n: number; phase: Phase }> {
  const phases: Phase[] = ['cold', 'warm', 'check'];
  const ns = [...new Set(ms.map((m) => m.n))].sort((a, b) => a - b);
  return ns.flatMap((n) => phases.filter((p) => ms.some((m) => m.n === n && m.phase === p && m.subject !== 'floor')).map((phase) => ({ n, phase })));
}

function failedNote(ms: Measurement[], key: CellKey): string {
  const failed = ms.filter((m) => m.n === key.n && m.phase === key.phase && m.subject === key.subject && m.error).length;
  return failed ? ` ⚠ ${failed} failed` : '';
}

function wallCell(ms: Measurement[], key: CellKey): string {
  const attempted = ms.some((m) => m.n === key.n && m.phase === key.phase && m.subject === key.subject);
  if (!attempted) return '';
  return formatSummary(summarise(cellValues(ms, key, (m) => m.wallS))) + failedNote(ms, key);
}

/** The floor of N: every floor run at N, whatever phase it was taken in. */
export function floorWalls(ms: Measurement[], n: number): number[] {
  return ms.filter((m) => m.n === n && m.subject === 'floor' && !m.error).map((m) => m.wallS);
}

/** Node CPU per host of every floor run at N. */
export function floorNodeCpu(ms: Measurement[], n: number): number[] {
  return ms.filter((m) => m.n === n && m.subject === 'floor' && !m.error).map((m) => m.nodeCpuPerHostS ?? Number.NaN);
}

function ansibleTools(tools: Tool[]): Tool[] {
  return tools.filter((t) => t !== 'capstan');
}

export function wallTable(r: Data): string {
  const { measurements: ms, options } = r;
  const tools = options.tools;
  const ratioTools = tools.includes('capstan') ? ansibleTools(tools) : [];
  const header = ['N', 'phase', ...tools, 'floor', ...ratioTools.map((t) => `${t} / capstan`), ...(tools.includes('capstan') ? ['capstan / floor'] : [])];
  const rows = tableRows(ms).map(({ n, phase }) => {
    const floor = summarise(floorWalls(ms, n));
    const capstan = summarise(cellValues(ms, { n, phase, subject: 'capstan' }, (m) => m.wallS));
    const capstanOverFloor = capstan && floor ? formatRatio({ median: capstan.median / floor.median, min: Number.NaN, max: Number.NaN, count: 1 }) : '–';
    return [
      String(n), phase,
      ...tools.map((t) => wallCell(ms, { n, phase, subject: t })),
      formatSummary(floor),
      ...ratioTools.map((t) => formatRatio(summarise(cellRatios(ms, n, phase, t, 'capstan')))),
      ...(tools.includes('capstan') ? [capstanOverFloor] : []),
    ];
  });
  return markdownTable(header, rows);
}

export function resourceTable(r: Data): string {
  const { measurements: ms, options } = r;
  const header = ['N', 'phase', ...options.tools.flatMap((t) => [`${t} CPU s`, `${t} peak MiB`])];
  const rows = tableRows(ms).map(({ n, phase }) => [
    String(n), phase,
    ...options.tools.flatMap((t) => {
      const key = { n, phase, subject: t };
      if (cellRuns(ms, key).length === 0) return ['', ''];
      const cpu = summarise(cellValues(ms, key, (m) => m.cpuS));
      const rss = summarise(cellValues(ms, key, (m) => m.maxRssKb));
      return [formatSummary(cpu), rss ? formatMiB(rss.median) : '–'];
    }),
  ]);
  return markdownTable(header, rows);
}

export function reportedTable(r: Data): string {
  const { measurements: ms, options } = r;
  const withCapstan = options.tools.includes('capstan');
  const header = ['N', 'phase', ...(withCapstan ? ['capstan round trips per host'] : []), ...options.tools.map((t) => `${t} changes`)];
  const rows = tableRows(ms).map(({ n, phase }) => [
    String(n), phase,
    ...(withCapstan ? [formatSummary(summarise(cellValues(ms, { n, phase, subject: 'capstan' }, (m) => m.roundTripsPerHost)), formatCount)] : []),
    ...options.tools.map((t) => {
      const changes = cellValues(ms, { n, phase, subject: t }, (m) => m.changed);
      return changes.length ? changes.map((c) => (Number.isFinite(c) ? String(c) : '?')).join(', ') : '';
    }),
  ]);
  return markdownTable(header, rows);
}

export function nodeCpuTable(r: Data): string {
  const { measurements: ms, options } = r;
  const withCapstan = options.tools.includes('capstan');
  const header = ['N', 'phase', ...options.tools, 'floor', ...(withCapstan ? ['capstan / floor'] : [])];
  const rows = tableRows(ms).map(({ n, phase }) => {
    const floor = summarise(floorNodeCpu(ms, n));
    const capstan = summarise(cellValues(ms, { n, phase, subject: 'capstan' }, (m) => m.nodeCpuPerHostS));
    const ratio = capstan && floor && floor.median > 0 ? formatRatio({ median: capstan.median / floor.median, min: Number.NaN, max: Number.NaN, count: 1 }) : '–';
    return [
      String(n), phase,
      ...options.tools.map((t) => (cellRuns(ms, { n, phase, subject: t }).length ? formatSummary(summarise(cellValues(ms, { n, phase, subject: t }, (m) => m.nodeCpuPerHostS))) : '')),
      formatSummary(floor),
      ...(withCapstan ? [ratio] : []),
    ];
  });
  return markdownTable(header, rows);
}

export function descriptorTable(r: Data): string {
  const { measurements: ms, options } = r;
  const header = ['N', 'phase', ...options.tools.map((t) => `${t} fds (sockets)`), 'open-file limit'];
  const rows = tableRows(ms).map(({ n, phase }) => {
    const runs = options.tools.flatMap((t) => cellRuns(ms, { n, phase, subject: t }));
    const limits = [...new Set(runs.map((m) => m.fdLimit).filter((l): l is number => l !== undefined))];
    return [
      String(n), phase,
      ...options.tools.map((t) => {
        const key = { n, phase, subject: t };
        if (cellRuns(ms, key).length === 0) return '';
        const fds = Math.max(...cellValues(ms, key, (m) => m.peakFds).filter(Number.isFinite));
        const sockets = Math.max(...cellValues(ms, key, (m) => m.peakSockets).filter(Number.isFinite));
        return Number.isFinite(fds) ? `${fds} (${sockets})` : '–';
      }),
      limits.length ? limits.join(', ') : '–',
    ];
  });
  return markdownTable(header, rows);
}
