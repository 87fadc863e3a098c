/**
 * The advisor's report: one data object (what `--json` prints), and its rendering as a
 * table with the advice under it. Tests assert on the object; the table is for people.
 *
 *   const report = buildReport({ nodes, advice, inventory: ['hosts.yml'], sampleSeconds: 5, warnings: [] });
 *   process.stdout.write(renderTable(report, palette(false)));
 *   // HOST     ROLE    STATE  CPU avg (peak)   RAM    DISK         LOAD 1/5/15 (CPUs)  K3S
 *   // server1  server  hot    91.0% (99.0%)    41.0%  23.8% /      1.93 1.10 0.60 (2)  server sqlite active
 *   //
 *   // Stage now:  1 single K3s node
 *   // Advice:     move to stage 3 multi-node cluster
 *   // ...
 */
import { ExitCode } from '../events.ts';
import type { Palette } from '../output/palette.ts';
import { formatDuration, pct } from './assess.ts';
import { ROADMAP_STAGES, type Advice, type NodeReport, type Pressure, type StageNumber } from './types.ts';

export const ADVISE_SCHEMA_VERSION = 1;

export interface AdviseReport {
  schemaVersion: number;
  generatedAt: string;
  inventory: string[];
  /** The SSH sampling window, in seconds. */
  sampleSeconds: number;
  /** Where sustained figures came from when --prometheus was given. */
  prometheus: { url: string; window: string; hosts: string[] } | null;
  nodes: NodeReport[];
  advice: Advice;
  warnings: string[];
  /** docs/exit-codes.md: 0 every host measured, 4 some unreachable, 2 some failed, 6 both. */
  exitCode: number;
}

export function buildReport(r: Omit<AdviseReport, 'schemaVersion' | 'generatedAt' | 'exitCode' | 'prometheus'> & { prometheus?: AdviseReport['prometheus'] }): AdviseReport {
  return {
    schemaVersion: ADVISE_SCHEMA_VERSION, generatedAt: new Date().toISOString(), inventory: r.inventory, sampleSeconds: r.sampleSeconds,
    prometheus: r.prometheus ?? null, nodes: r.nodes, advice: r.advice, warnings: r.warnings, exitCode: adviseExitCode(r.nodes),
  };
}

export function adviseExitCode(nodes: readonly NodeReport[]): number {
  const failed = nodes.some((n) => n.status === 'failed');
  const unreachable = nodes.some((n) => n.status === 'unreachable');
  return failed && unreachable ? ExitCode.failedAndUnreachable : failed ? ExitCode.failed : unreachable ? ExitCode.unreachable : ExitCode.ok;
}

export function renderTable(r: AdviseReport, c: Palette): string {
  const pressure = new Map(r.advice.nodes.map((n) => [n.name, n.pressure] as const));
  const rows = r.nodes.map((n) => nodeRow(n, pressure.get(n.name) ?? 'unknown'));
  const header = ['HOST', 'ROLE', 'STATE', 'CPU avg (peak)', 'RAM', 'DISK', 'LOAD 1/5/15 (CPUs)', 'K3S'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row.cells[i]?.length ?? 0)));
  const line = (cells: string[], colour: (s: string) => string = (s) => s) =>
    cells.map((cell, i) => (i === 2 ? colour(cell.padEnd(widths[i] ?? 0)) : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const colours: Record<string, (s: string) => string> = { hot: c.red, watch: c.yellow, ok: c.green, unreachable: c.red, failed: c.red, unknown: c.dim };
  const out = [c.bold(line(header)), ...rows.map((row) => line(row.cells, colours[row.state] ?? ((s) => s)))];
  for (const n of r.nodes) if (n.message) out.push(c.dim(`  ${n.name}: ${n.message}`));
  out.push('', ...adviceLines(r, c));
  return `${out.join('\n')}\n`;
}

function nodeRow(n: NodeReport, p: Pressure): { cells: string[]; state: string } {
  const role = n.k3s?.role ?? n.declaredRole ?? '-';
  if (n.status !== 'ok' || !n.metrics) return { cells: [n.name, role, n.status, '-', '-', '-', '-', '-'], state: n.status };
  const m = n.metrics;
  const cpu = `${pct(m.cpu.average)} (${pct(m.cpu.peak)})${m.cpu.source === 'prometheus' ? ' prom' : m.cpu.source === 'cgroup' ? ' cgroup' : ''}`;
  const load = m.load ? `${m.load.one.toFixed(2)} ${m.load.five.toFixed(2)} ${m.load.fifteen.toFixed(2)} (${m.load.cpus})` : '-';
  return { cells: [n.name, role, p, cpu, pct(m.memory.percent), m.disk ? `${pct(m.disk.percent)} ${m.disk.mount}` : '-', load, k3sCell(n)], state: p };
}

function k3sCell(n: NodeReport): string {
  const k = n.k3s;
  if (!k) return '-';
  if (!k.role) return k.dataDirReadable ? 'not installed' : 'unreadable';
  const parts: string[] = [k.role];
  if (k.role === 'server') parts.push(k.datastore ?? 'datastore ?');
  parts.push(k.active ? 'active' : 'inactive');
  if (k.monitoringManifests.length) parts.push(`monitoring (${k.monitoringManifests.length} manifest${k.monitoringManifests.length === 1 ? '' : 's'})`);
  return parts.join(' ');
}

function stageText(s: StageNumber | null): string {
  return s === null ? 'unknown' : `${s} ${ROADMAP_STAGES[s].title}`;
}

function adviceLines(r: AdviseReport, c: Palette): string[] {
  const a = r.advice;
  const verdict: Record<Advice['action'], string> = {
    install: `install K3s: stage ${stageText(a.target)}`,
    stay: `stay at stage ${stageText(a.current)}`,
    move: `move to stage ${stageText(a.target)}`,
    'scale-out': `add agents, staying at stage ${stageText(a.current)}`,
    unknown: 'none: the current stage is unknown',
  };
  const source = r.prometheus ? `Prometheus ${r.prometheus.url}, averaged over ${r.prometheus.window}` : `SSH, CPU sampled over ${formatDuration(r.sampleSeconds)}`;
  const out = [
    `${c.bold('Stage now:')}  ${stageText(a.current)}`,
    `${c.bold('Advice:')}     ${a.action === 'stay' ? c.green(verdict.stay) : a.action === 'unknown' ? c.red(verdict.unknown) : c.yellow(verdict[a.action])}`,
    `${c.bold('Measured:')}   ${source}`,
    c.bold('Why:'),
    ...a.reasons.map((x) => `  - ${x}`),
  ];
  const inv = r.inventory.map((i) => `-i ${i}`).join(' ');
  if (a.plan.length) {
    out.push(c.bold('Next:'));
    a.plan.forEach((p, i) => {
      out.push(`  ${i + 1}. ${p.why}:`, `     capstan run ${p.playbook} ${inv} --check --diff`, `     capstan run ${p.playbook} ${inv}`);
    });
  }
  if (a.notes.length || r.warnings.length) out.push(c.bold('Notes:'), ...[...r.warnings, ...a.notes].map((x) => `  - ${x}`));
  if (a.partial) out.push(c.red('PARTIAL: not every host was measured; see the first reason'));
  return out;
}
