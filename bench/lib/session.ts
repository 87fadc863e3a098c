/**
 * The order of the benchmark for one node count: cold runs on fresh node sets (with the end
 * states compared), then warm and check runs and the floor on one shared, converged set
 * (from N = --clone-from on, booted as clones of one converged node: see seed-image.ts).
 * Tools are interleaved within every run index (A B A B) so that drift hits all of them.
 *
 *   const session = new BenchSession(ctx, repo);
 *   await session.cold(5);
 *   await session.converged(5, ['warm', 'check']);
 *   session.measurements; session.settles; session.endStateComparisons(); session.problems;
 */
import { join } from 'node:path';
import type { RepoServer } from './apt-server.ts';
import { captureSet, type EndState } from './endstate.ts';
import { DiffTally, diffEndStates } from './endstate-diff.ts';
import { startBenchNodes, type BenchNodes } from './nodes.ts';
import { clonedAt, toolsAt } from './options.ts';
import type { EndStateComparison, SettleRun } from './report.ts';
import { checkNotInterrupted, measure, runTool, type RunContext } from './runner.ts';
import { commitNodeImage } from './seed-image.ts';
import { toolRunError } from './tool-run.ts';
import type { Measurement, Phase, Tool } from './types.ts';

export class BenchSession {
  readonly measurements: Measurement[] = [];
  readonly settles: SettleRun[] = [];
  readonly problems: string[] = [];
  private readonly tallies = new Map<Tool, DiffTally>();
  private sets = 0;
  /** The image of one converged node, built when a set first needs it (see seed-image.ts). */
  private seed?: Promise<string>;

  constructor(
    private readonly ctx: RunContext,
    private readonly repo: RepoServer,
  ) {}

  /** The tool every other tool's end state is compared with: Capstan, or the first tool. */
  get reference(): Tool | undefined {
    return this.ctx.options.tools[0];
  }

  private async withNodes<T>(n: number, what: string, body: (nodes: BenchNodes) => Promise<T>, cloned = false): Promise<T | undefined> {
    checkNotInterrupted(this.ctx);
    const workDir = join(this.ctx.logsDir, `set-${++this.sets}`);
    let nodes: BenchNodes;
    const started = Date.now();
    try {
      const image = cloned ? await this.seedImage() : undefined;
      nodes = await startBenchNodes(n, { repo: this.repo, workDir, log: this.ctx.log, ...(image ? { image } : {}) });
    } catch (error) {
      checkNotInterrupted(this.ctx);
      this.problems.push(`N=${n} ${what}: the node set did not start: ${(error as Error).message}`);
      this.ctx.log(`N=${n} ${what}: node set failed to start: ${(error as Error).message}`);
      return undefined;
    }
    this.ctx.log(`N=${n} ${what}: ${n} ${cloned ? 'cloned' : 'fresh'} nodes ready in ${((Date.now() - started) / 1000).toFixed(1)} s (not measured)`);
    try {
      checkNotInterrupted(this.ctx);
      return await body(nodes);
    } finally {
      await nodes.destroy();
    }
  }

  private seedImage(): Promise<string> {
    this.seed ??= this.buildSeedImage();
    return this.seed;
  }

  /** One node, converged by the reference tool (untimed), committed without its identity. */
  private async buildSeedImage(): Promise<string> {
    const tool = this.reference ?? 'capstan';
    const started = Date.now();
    const nodes = await startBenchNodes(1, { repo: this.repo, workDir: join(this.ctx.logsDir, 'seed'), log: this.ctx.log });
    try {
      const r = await runTool(this.ctx, nodes, tool, { check: false, logName: `seed-converge-${tool}` });
      const error = toolRunError(r);
      if (error) throw new Error(`converging the node to clone with ${tool} failed: ${error}`);
      const [node] = nodes.set.nodes;
      if (!node) throw new Error('the node to clone did not start');
      const image = await commitNodeImage(nodes.set, node.name);
      this.ctx.log(`node to clone: converged by ${tool} (${r.changed ?? '?'} changed) and committed as ${image} in ${((Date.now() - started) / 1000).toFixed(1)} s (not measured)`);
      return image;
    } finally {
      await nodes.destroy();
    }
  }

  /** Cold runs: a fresh node set for every tool and run; the end states are compared per run. */
  async cold(n: number): Promise<void> {
    const tools = toolsAt(this.ctx.options, n);
    for (let run = 1; run <= this.ctx.options.runs; run++) {
      const states = new Map<Tool, Map<string, EndState>>();
      for (const tool of tools) {
        await this.withNodes(n, `cold ${tool} run ${run}`, async (nodes) => {
          const m = await measure(this.ctx, nodes, { subject: tool, phase: 'cold', run });
          this.measurements.push(m);
          if (!m.error && this.ctx.options.endState) states.set(tool, await captureSet(nodes.set));
          checkNotInterrupted(this.ctx);
        });
      }
      this.compare(n, run, states);
    }
  }

  private compare(n: number, run: number, states: Map<Tool, Map<string, EndState>>): void {
    const reference = this.reference;
    const ref = reference ? states.get(reference) : undefined;
    if (!reference || !ref) return;
    for (const [tool, nodes] of states) {
      if (tool === reference) continue;
      const tally = this.tallies.get(tool) ?? new DiffTally();
      this.tallies.set(tool, tally);
      for (const [name, state] of nodes) {
        const other = ref.get(name);
        if (other) tally.add(`N=${n} run ${run} ${name}`, diffEndStates(other, state));
      }
    }
  }

  endStateComparisons(): EndStateComparison[] {
    const reference = this.reference;
    if (!reference) return [];
    return [...this.tallies].map(([tool, tally]) => ({ reference, tool, ...tally.summary() }));
  }

  /** Converges the shared set with every tool in turn (untimed), recording what each changed. */
  private async settle(nodes: BenchNodes, tools: Tool[], clonedFrom: Tool | undefined): Promise<void> {
    const after: Tool[] = [];
    for (const tool of tools) {
      const r = await runTool(this.ctx, nodes, tool, { check: false, logName: `n${nodes.n}-converge-${tool}`, forks: this.ctx.options.convergeForks });
      checkNotInterrupted(this.ctx);
      const error = toolRunError(r);
      this.settles.push({ n: nodes.n, tool, after: [...after], ...(clonedFrom ? { clonedFrom } : {}), ...(r.changed !== undefined ? { changed: r.changed } : {}), ...(error ? { error } : {}) });
      this.ctx.log(`N=${nodes.n} converging (untimed) ${tool}: ${r.changed ?? '?'} changed${error ? `, FAILED: ${error.split('\n')[0]}` : ''}`);
      if (error) this.problems.push(`N=${nodes.n}: converging the shared nodes with ${tool} failed: ${error}`);
      after.push(tool);
    }
  }

  /** Warm and check runs (and the floor) on one node set converged by every tool. */
  async converged(n: number, phases: Phase[]): Promise<void> {
    const wanted = phases.filter((p) => p !== 'cold');
    if (wanted.length === 0) return;
    const tools = toolsAt(this.ctx.options, n);
    const cloned = clonedAt(this.ctx.options, n);
    await this.withNodes(n, wanted.join('+'), async (nodes) => {
      await this.settle(nodes, tools, cloned ? this.reference : undefined);
      for (const phase of wanted) {
        for (let run = 1; run <= this.ctx.options.runs; run++) {
          for (const tool of tools) this.measurements.push(await measure(this.ctx, nodes, { subject: tool, phase, run }));
          if (phase === wanted[0]) this.measurements.push(await measure(this.ctx, nodes, { subject: 'floor', phase, run }));
        }
      }
    }, cloned);
  }
}
