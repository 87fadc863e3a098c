/**
 * What a warm run of the reference workload costs on one node, section by section: one
 * throwaway node is converged with bench/workload/site.ts, then warm runs go through an
 * instrumented connector that marks every section of each gather (processes started, CPU,
 * wall: see profile/instrument.ts). The node's whole CPU per warm run (its cgroup, sshd
 * included) is set against the floor's: one SSH connection running the benchmark's batched
 * probe.
 *
 *   node --import tsx bench/gather-profile.ts              # 5 warm runs, medians
 *   node --import tsx bench/gather-profile.ts --runs 9 --json /tmp/profile.json
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startNodes, type NodeSet } from '../src/testing/index.ts';
import { runPlaybook } from '../src/engine/run.ts';
import { loadInventoryView } from '../src/inventory/view.ts';
import { connectorFactory } from '../src/cli/connectors.ts';
import type { Connector, ConnectorFactory, ExecRequest, ExecResult } from '../src/connectors/connector.ts';
import workload from './workload/site.ts';
import { batchedProbe } from './lib/floor.ts';
import { containerCpuS } from './lib/node-cpu.ts';
import { median } from './lib/stats.ts';
import { instrumentBatch, parseMarks, sectionCosts, sectionLabel, type SectionCost } from './profile/instrument.ts';

interface GatherSample { sections: string[]; costs: SectionCost[] }
interface RunSample { nodeCpuMs: number | null; roundTrips: number; gathers: GatherSample[] }

const { values: opts } = parseArgs({ options: { runs: { type: 'string', default: '5' }, json: { type: 'string' }, keep: { type: 'boolean', default: false } } });
const runs = Math.max(1, Number(opts.runs));

/** The node's CPU time so far in ms, from its container's cgroup (see lib/node-cpu.ts). */
async function containerCpuMs(containerId: string): Promise<number | null> {
  const s = await containerCpuS(containerId);
  return Number.isFinite(s) ? s * 1000 : null;
}

/** A connector that runs every gather instrumented and keeps what its marks said. */
function profilingFactory(gathers: GatherSample[]): ConnectorFactory {
  const base = connectorFactory({});
  return (host) => {
    const inner = base(host);
    const exec = async (req: ExecRequest): Promise<ExecResult> => {
      if (!req.display?.startsWith('gather')) return inner.exec(req);
      const { script, sections } = instrumentBatch(req.script);
      const res = await inner.exec({ ...req, script });
      gathers.push({ sections, costs: sectionCosts(parseMarks(res.stderr)) });
      return res;
    };
    return new Proxy(inner, {
      get: (t, p) => {
        if (p === 'exec') return exec;
        const v: unknown = Reflect.get(t, p, t);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    }) as Connector;
  };
}

async function run(set: NodeSet, inventoryPath: string, factory: ConnectorFactory, id: string): Promise<{ roundTrips: number; nodeCpuMs: number | null }> {
  const node = set.nodes[0]!;
  const before = await containerCpuMs(node.containerId);
  const recap = await runPlaybook(workload, await loadInventoryView([inventoryPath]), {
    check: false, diff: false, forks: 1, tags: [], skipTags: [], extraVars: {}, playbookId: id, connectorFactory: factory,
  }, () => undefined);
  const after = await containerCpuMs(node.containerId);
  if (recap.exitCode !== 0) throw new Error(`the ${id} run failed (exit ${recap.exitCode})`);
  const changed = recap.hosts[node.name]?.changed ?? 0;
  if (id.startsWith('warm') && changed !== 0) throw new Error(`a warm run changed ${changed} steps: the node is not converged`);
  return { roundTrips: recap.transport[node.name]?.roundTrips ?? 0, nodeCpuMs: before === null || after === null ? null : after - before };
}

async function floorCpuMs(set: NodeSet): Promise<number | null> {
  const node = set.nodes[0]!;
  const before = await containerCpuMs(node.containerId);
  const r = spawnSync('ssh', [...set.sshArgs(node.name, { user: 'root' }), batchedProbe()], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the floor probe failed: ${r.stderr}`);
  const after = await containerCpuMs(node.containerId);
  return before === null || after === null ? null : after - before;
}

const fmt = (n: number | null, digits = 1) => (n === null ? 'n/a' : n.toFixed(digits));
const med = (xs: (number | null)[]) => { const v = xs.filter((x): x is number => x !== null); return v.length ? median(v) : null; };
/** CPU comes in clock ticks (10 ms): the mean of several runs says more than their median. */
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

function report(samples: RunSample[], floors: (number | null)[]): string[] {
  const lines: string[] = [];
  const gathers = samples[0]?.gathers ?? [];
  gathers.forEach((g, gi) => {
    lines.push(`gather ${gi + 1} of ${gathers.length}: ${g.sections.length} sections (${samples.length} warm runs: median processes and wall, mean CPU)`, '');
    lines.push('| # | section | processes | CPU ms | wall ms |', '|---:|---|---:|---:|---:|');
    const total = { processes: [] as number[], cpu: [] as number[], wall: [] as number[] };
    g.sections.forEach((s, i) => {
      const rows = samples.map((r) => r.gathers[gi]?.costs.find((c) => c.index === i)).filter((c): c is SectionCost => c !== undefined);
      lines.push(`| ${i} | \`${sectionLabel(s).replace(/\|/g, '\\|')}\` | ${fmt(med(rows.map((r) => r.processes)), 0)} | ${fmt(mean(rows.map((r) => r.cpuMs)))} | ${fmt(med(rows.map((r) => r.wallMs)))} |`);
    });
    for (const r of samples) {
      const costs = r.gathers[gi]?.costs ?? [];
      total.processes.push(costs.reduce((a, c) => a + c.processes, 0));
      total.cpu.push(costs.reduce((a, c) => a + c.cpuMs, 0));
      total.wall.push(costs.reduce((a, c) => a + c.wallMs, 0));
    }
    lines.push(`| | **total** | ${fmt(med(total.processes), 0)} | ${fmt(mean(total.cpu))} | ${fmt(med(total.wall))} |`, '');
  });
  const node = med(samples.map((s) => s.nodeCpuMs));
  const floor = med(floors);
  lines.push(`node CPU per warm run (cgroup, sshd included): ${fmt(node)} ms; round trips ${samples.map((s) => s.roundTrips).join(',')}`);
  lines.push(`node CPU of the floor (one ssh, batched probe): ${fmt(floor)} ms; ratio ${node !== null && floor ? (node / floor).toFixed(2) : 'n/a'}×`);
  return lines;
}

async function main(): Promise<void> {
  const set = await startNodes({ groups: { nodes: 1 }, kind: 'lab', keep: opts.keep });
  const stop = () => void set.destroy().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const inventoryPath = await set.writeInventory(join(set.workDir, 'root-inventory.yml'), { user: 'root' });
    process.stderr.write('converging the node with bench/workload/site.ts\n');
    await run(set, inventoryPath, connectorFactory({}), 'converge');
    await run(set, inventoryPath, connectorFactory({}), 'warm-settle');
    const samples: RunSample[] = [];
    const floors: (number | null)[] = [];
    for (let i = 0; i < runs; i++) {
      const gathers: GatherSample[] = [];
      const r = await run(set, inventoryPath, profilingFactory(gathers), `warm-${i}`);
      samples.push({ ...r, gathers });
      floors.push(await floorCpuMs(set));
    }
    const lines = report(samples, floors);
    process.stdout.write(`${lines.join('\n')}\n`);
    if (opts.json) await writeFile(opts.json, JSON.stringify({ samples, floors }, null, 2));
  } finally {
    await set.destroy();
  }
}

await main();
