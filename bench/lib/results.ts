/**
 * The results file: `<out>/<YYYY-MM-DD>.md` (machine, versions, method, analysis, tables,
 * end-state comparison, failures), the raw data next to it as `<YYYY-MM-DD>.json`, and the
 * cost curve (warm wall time and node CPU per host against N) as `<YYYY-MM-DD>.svg`, linked.
 *
 *   const { markdownPath } = await writeResults(report, 'bench/results');   // 'bench/results/2025-11-26.md' (…-2.md when taken)
 *   const base = await resultsBase(report, 'bench/results');                // reserve once, then rewrite as the run goes:
 *   await writeResults({ ...report, incomplete: 'N=100 and 200 still to run' }, 'bench/results', base);
 *   renderMarkdown(report);                                  // the same text, without writing
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { analysisLines } from './analysis.ts';
import { describeDifference } from './endstate-diff.ts';
import { failedMeasurements, type BenchReport, type SettleRun } from './report.ts';
import { curveSvg } from './curve.ts';
import { descriptorTable, nodeCpuTable, reportedTable, resourceTable, wallTable } from './report-tables.ts';
import { markdownTable } from './table.ts';

function header(r: BenchReport): string[] {
  const minutes = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 60_000;
  const { machine: m, versions: v } = r;
  return [
    `# Capstan and Ansible, side by side: ${r.startedAt.slice(0, 10)}${r.tiny ? ' (tiny run)' : ''}`,
    '',
    `\`${r.command}\`, started ${r.startedAt}, took ${minutes.toFixed(0)} min. Logs of every command: \`${r.logsDir}\`.`,
    '',
    ...(r.incomplete ? [`**Incomplete: ${r.incomplete}.**`, ''] : []),
    '## Machine and versions',
    '',
    `- Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, kernel ${m.kernel}, ${m.os}.`,
    `- Node.js ${v.node}; Capstan ${v.capstan}; ansible-core ${v.ansibleCore}; mitogen (ansible-mitogen) ${v.mitogen}.`,
    `- ${v.openssh}; GNU time ${v.gnuTime}; Docker engine ${v.docker}; node image ${v.nodeImage}.`,
  ];
}

function method(r: BenchReport): string[] {
  const o = r.options;
  return [
    '## Method',
    '',
    `- Nodes: throwaway Debian bookworm containers (systemd, sshd, python3) on a Docker bridge; every tool logs in as root. ` +
      `Packages come from a local apt repository served by the harness on the bridge's gateway (${r.repo.packages.length} packages; ${r.repo.filesServed} files served). ` +
      'Before the timed runs, identically for every tool: that repository is the only apt source, python3-apt is installed (Ansible\'s apt module needs it), ' +
      'the package lists are removed and dated in the past, /proc/sys/net is writable.',
    `- Capstan: \`capstan run ${o.capstanPlaybook} --forks N --json\`. Ansible: \`ansible-playbook ${o.ansiblePlaybook}\` with ANSIBLE_CONFIG=${o.ansibleConfig} and ANSIBLE_FORKS=N; ` +
      '`ansible-pipelining` adds ANSIBLE_PIPELINING=True, `ansible-mitogen` ANSIBLE_STRATEGY=mitogen_linear from Debian\'s ansible-mitogen.',
    `- Phases: cold = fresh nodes (a new node set for every run; booting is not measured); warm = converged nodes, nothing to change; check = converged nodes, \`--check\`. ` +
      'Warm and check share one node set per N, converged once by each tool (untimed) before the timed runs.' +
      (o.cloneFrom > 0 && r.settles.some((st) => st.clonedFrom)
        ? ` From N=${o.cloneFrom} on, that set boots as clones of one node converged by ${r.settles.find((st) => st.clonedFrom)?.clonedFrom} and committed as an image without its identity (SSH host keys, machine id, run state, journal), then is converged by each tool as usual: a first converge of every node from scratch would take most of an hour on a small machine. A file the workload generates once (its secret) is then the same on every node of the set.`
        : ''),
    `- ${o.runs} run(s) per cell, the tools interleaved (A B A B …) so that drift hits all; ratios pair run i of one tool with run i of the other.`,
    `- The floor: the same N hosts each answering one batched probe (20 trivial commands joined into one) over one OpenSSH connection, all in parallel.`,
    `- Before every measured command the harness waits (up to 20 s) until the nodes are quiet (below 1 % of a core each over half a second), so that the previous command's teardown (sessions closing, remote interpreters exiting) is not counted in the next one.`,
    `- Node CPU per host: every node container's cumulative CPU (its cgroup's counter, or Docker's stats) read just before and just after each command; the difference summed over the nodes, divided by N. It includes whatever the nodes ran meanwhile on their own (little on idle nodes).`,
    `- GNU time wraps every command: wall time; controller CPU = user + sys of the whole process tree (Ansible's ControlPersist ssh masters, which outlive the run, are read from /proc and added); peak memory = the largest resident set of any one process of the tree.`,
  ];
}

function endStateSection(r: BenchReport): string[] {
  const lines = ['## End state', ''];
  if (r.endStateNote) return [...lines, `Not compared: ${r.endStateNote}.`];
  lines.push('After cold runs on fresh nodes, each node of a tool is compared with the node of the same name of the reference: paths (type, mode, owner, content), the benchapp account, services, sysctl values, packages. The node\'s address, the generated secret and timestamps are normalised.', '');
  for (const c of r.endState) {
    if (c.differences.length === 0) {
      lines.push(`- ${c.tool} vs ${c.reference}: identical (${c.compared} nodes).`);
      continue;
    }
    lines.push(`- ${c.tool} vs ${c.reference}: ${c.differences.length} differences, on ${c.compared - c.identical} of ${c.compared} nodes:`, '');
    for (const d of c.differences) {
      const where = d.seen.length > 3 ? `${d.seen.slice(0, 3).join(', ')} and ${d.seen.length - 3} more` : d.seen.join(', ');
      lines.push(`  - \`${d.key}\` (${where}); \`-\` ${c.reference}, \`+\` ${c.tool}:`, '', '    ```', ...describeDifference(d).split('\n').map((l) => `    ${l}`), '    ```', '');
    }
  }
  return lines;
}

function settleSection(r: BenchReport): string[] {
  if (r.settles.length === 0) return [];
  const before = (st: SettleRun) => st.after.join(', ') || (st.clonedFrom ? `(clones of a node ${st.clonedFrom} converged)` : '(fresh nodes)');
  const rows = r.settles.map((st) => [String(st.n), st.tool, before(st), st.changed === undefined ? '?' : String(st.changed), st.error ?? '']);
  return ['## Converging the warm/check nodes (untimed)', '', 'A tool that changes things on nodes another tool converged does not reach the same state.', '', markdownTable(['N', 'tool', 'after', 'changes', 'error'], rows)];
}

function failureSection(r: BenchReport): string[] {
  const failed = failedMeasurements(r);
  if (failed.length === 0 && r.problems.length === 0) return [];
  return ['## Failures', '', ...r.problems.map((p) => `- harness: ${p}`),
    ...failed.map((m) => `- N=${m.n} ${m.phase} ${m.subject} run ${m.run}: ${(m.error ?? '').replace(/\n/g, ' / ')}`)];
}

export function renderMarkdown(r: BenchReport, svgName?: string): string {
  const sections = [
    header(r),
    ['## Analysis', '', ...analysisLines(r).map((l) => `- ${l}`)],
    svgName ? ['## The cost curve', '', `Warm runs, median per N: wall time and node CPU per host against the number of hosts (log scales; the floor dashed).`, '', `![the cost curve](${svgName})`] : [],
    ['## Wall time', '', `Seconds: median (min–max) of the runs; ratios are medians of paired runs.`, '', wallTable(r)],
    ['## Node CPU per host', '', 'CPU seconds the nodes\' containers spent during the command (their cgroups\' counters, read before and after), divided by N: median (min–max). The floor\'s is the cost of sshd\'s key exchange and one session per host.', '', nodeCpuTable(r)],
    ['## Controller resources', '', 'CPU: user + sys seconds, median (min–max). Peak: median over runs of the largest process, MiB.', '', resourceTable(r)],
    ['## Controller descriptors', '', 'The most descriptors the command\'s process tree held open at once over its runs (sockets among them: the connections), sampled from /proc every 200 ms, and the open-file limit of its busiest process.', '', descriptorTable(r)],
    ['## What the tools reported', '', 'Changes over all hosts, per run (for check: changes predicted). Warm and check should report none.', '', reportedTable(r)],
    endStateSection(r),
    settleSection(r),
    failureSection(r),
    method(r),
  ];
  return sections.filter((s) => s.length).map((s) => s.join('\n').trimEnd()).join('\n\n') + '\n';
}

/** The first free `<out>/<date>[-tiny][-K]` (without extension) for this report's files. */
export async function resultsBase(r: Pick<BenchReport, 'startedAt' | 'tiny'>, outDir: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  return freePath(outDir, `${r.startedAt.slice(0, 10)}${r.tiny ? '-tiny' : ''}`);
}

async function freePath(dir: string, base: string): Promise<string> {
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base}-${i}`;
    const taken = await access(join(dir, `${name}.md`)).then(() => true, () => false);
    if (!taken) return join(dir, name);
  }
}

/**
 * Writes the report's files at `base` (from resultsBase; the first free one when absent).
 * A run rewrites the same files after every N, so that a run stopped early leaves what it measured.
 */
export async function writeResults(r: BenchReport, outDir: string, base?: string): Promise<{ markdownPath: string; jsonPath: string; svgPath?: string }> {
  base ??= await resultsBase(r, outDir);
  const markdownPath = `${base}.md`;
  const jsonPath = `${base}.json`;
  const svg = curveSvg(r.measurements);
  const svgPath = svg ? `${base}.svg` : undefined;
  if (svg && svgPath) await writeFile(svgPath, svg);
  await writeFile(markdownPath, renderMarkdown(r, svgPath ? basename(svgPath) : undefined));
  await writeFile(jsonPath, `${JSON.stringify(r, null, 2)}\n`);
  return { markdownPath, jsonPath, ...(svgPath ? { svgPath } : {}) };
}
