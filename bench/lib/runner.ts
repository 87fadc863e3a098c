/**
 * Runs one subject (a tool or the floor) once on a prepared node set and turns the outcome
 * into a Measurement (with the CPU its nodes spent meanwhile); logs a one-line progress message.
 *
 *   const ctx: RunContext = { options, repoRoot, logsDir, strategyDir, log, signal };
 *   const m = await measure(ctx, nodes, { subject: 'capstan', phase: 'warm', run: 2 });
 *   // { n: 5, phase: 'warm', subject: 'capstan', run: 2, wallS: 1.9, cpuS: 1.1, ..., changed: 0, roundTripsPerHost: 2 }
 */
import { join } from 'node:path';
import { runAnsible } from './ansible.ts';
import { runCapstan } from './capstan.ts';
import { runFloor } from './floor.ts';
import type { FdPeak } from './fd-watch.ts';
import type { BenchNodes } from './nodes.ts';
import { cpuPerHost, readNodesCpu } from './node-cpu.ts';
import { nodesQuiet } from './settle.ts';
import { toolRunError, type ToolRun } from './tool-run.ts';
import type { BenchOptions, Measurement, Phase, Subject, Tool } from './types.ts';

export interface RunContext {
  options: BenchOptions;
  repoRoot: string;
  logsDir: string;
  strategyDir?: string;
  log: (message: string) => void;
  /** Aborted on SIGINT/SIGTERM: nothing new is started after that. */
  signal: AbortSignal;
}

export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

/** Throws Interrupted once the run has been told to stop. */
export function checkNotInterrupted(ctx: Pick<RunContext, 'signal'>): void {
  if (ctx.signal.aborted) throw new Interrupted();
}

/**
 * Runs a tool: apply, or --check when `check`; `logName` names its log files in logsDir.
 * Forks = N unless `forks` says fewer (the untimed converge).
 */
export function runTool(ctx: RunContext, nodes: BenchNodes, tool: Tool, o: { check: boolean; logName: string; forks?: number }): Promise<ToolRun> {
  checkNotInterrupted(ctx);
  const common = { n: nodes.n, forks: Math.min(nodes.n, o.forks ?? nodes.n), check: o.check, inventory: nodes.inventoryPath, logBase: join(ctx.logsDir, o.logName), timeoutMs: ctx.options.timeoutS * 1000 };
  if (tool === 'capstan') return runCapstan({ ...common, playbook: ctx.options.capstanPlaybook, repoRoot: ctx.repoRoot });
  return runAnsible({
    ...common, tool, playbook: ctx.options.ansiblePlaybook, config: ctx.options.ansibleConfig,
    ...(ctx.strategyDir ? { strategyDir: ctx.strategyDir } : {}),
  });
}

function describe(r: ToolRun, nodeCpu: number): string {
  const t = r.timed;
  const parts = [`${t.wallS.toFixed(2)} s`, `cpu ${t.cpuS.toFixed(2)} s`, `${(t.maxRssKb / 1024).toFixed(0)} MiB`, `node cpu ${nodeCpu.toFixed(3)} s/host`];
  if (r.changed !== undefined) parts.push(`${r.changed} changed`);
  if (r.roundTripsPerHost !== undefined) parts.push(`${r.roundTripsPerHost.toFixed(1)} round trips/host`);
  const error = toolRunError(r);
  return `${parts.join(', ')}${error ? ` FAILED: ${error.split('\n')[0]}` : ''}`;
}

function fdFields(f: FdPeak): Pick<Measurement, 'peakFds' | 'peakSockets' | 'fdLimit'> {
  if (!(f.peakFds > 0)) return {};
  return { peakFds: f.peakFds, peakSockets: f.peakSockets, ...(Number.isFinite(f.fdLimit) ? { fdLimit: f.fdLimit } : {}) };
}

export async function measure(ctx: RunContext, nodes: BenchNodes, o: { subject: Subject; phase: Phase; run: number }): Promise<Measurement> {
  checkNotInterrupted(ctx);
  const logName = `n${nodes.n}-${o.phase}-${o.subject}-r${o.run}`;
  const ids = nodes.set.nodes.map((node) => node.containerId);
  const settled = await nodesQuiet(ids);
  if (!settled.quiet) ctx.log(`N=${nodes.n} ${o.phase} ${o.subject} run ${o.run}: the nodes were still busy after ${(settled.waitedMs / 1000).toFixed(0)} s; measuring anyway`);
  const before = await readNodesCpu(ids);
  const r = o.subject === 'floor'
    ? await runFloor({ set: nodes.set, logBase: join(ctx.logsDir, logName), timeoutMs: Math.min(ctx.options.timeoutS * 1000, 120_000) })
    : await runTool(ctx, nodes, o.subject, { check: o.phase === 'check', logName });
  const nodeCpu = cpuPerHost(before, await readNodesCpu(ids), nodes.n);
  checkNotInterrupted(ctx);
  ctx.log(`N=${nodes.n} ${o.phase} ${o.subject} run ${o.run}: ${describe(r, nodeCpu)}`);
  const error = toolRunError(r);
  return {
    n: nodes.n, phase: o.phase, subject: o.subject, run: o.run,
    wallS: r.timed.wallS, cpuS: r.timed.cpuS, maxRssKb: r.timed.maxRssKb, exitCode: r.timed.exitCode, timedOut: r.timed.timedOut,
    ...(Number.isFinite(nodeCpu) ? { nodeCpuPerHostS: nodeCpu } : {}),
    ...fdFields(r.timed.fds),
    ...(r.changed !== undefined ? { changed: r.changed } : {}),
    ...(r.roundTripsPerHost !== undefined ? { roundTripsPerHost: r.roundTripsPerHost } : {}),
    ...(error ? { error } : {}),
  };
}
