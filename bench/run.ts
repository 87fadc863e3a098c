/**
 * The benchmark harness: Capstan's workload and the reference Ansible workload, side by
 * side on the same throwaway nodes, in the same run; results to bench/results/<date>.md.
 *
 *   node --import tsx bench/run.ts --nodes 1,5,20 --runs 3 --phases cold,warm,check --tools capstan,ansible-pipelining,ansible-mitogen
 *   node --import tsx bench/run.ts --tiny          # CI: exit 0 only when every command succeeded and the end states match
 *   bash scripts/bench.sh --nodes 1,5               # the same, after installing what it needs
 *
 * Nodes are destroyed at the end and on SIGINT/SIGTERM (exit 130).
 */
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureLocalRepo, readPackages } from './lib/apt-repo.ts';
import { listPackages } from './lib/apt-index.ts';
import { RepoServer } from './lib/apt-server.ts';
import { machineInfo, toolVersions } from './lib/machine.ts';
import { sweepNodes } from './lib/nodes.ts';
import { parseBenchArgs, USAGE } from './lib/options.ts';
import { preflight } from './lib/preflight.ts';
import { killRunning } from './lib/proc.ts';
import { reapLeftovers } from './lib/leftovers.ts';
import { allGood, verdict, type BenchReport } from './lib/report.ts';
import { renderMarkdown, resultsBase, writeResults } from './lib/results.ts';
import { Interrupted } from './lib/runner.ts';
import { removeNodeImages } from './lib/seed-image.ts';
import { BenchSession } from './lib/session.ts';
import type { BenchOptions } from './lib/types.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const log = (message: string) => void process.stderr.write(`bench: ${message}\n`);
let server: RepoServer | undefined;
let logsDir: string | undefined;
/** Rewrites the results files as incomplete, saying why (set once the files are reserved). */
let writeStopped: ((why: string) => Promise<unknown>) | undefined;
const stop = new AbortController();

function onSignal(signal: NodeJS.Signals): void {
  if (stop.signal.aborted) {
    log(`${signal} again: quitting without waiting for the nodes to be removed (docker ps -a --filter label=capstan.kind=lab)`);
    process.exit(130);
  }
  log(`${signal}: stopping the command in flight and removing the nodes (${signal} again to quit at once)`);
  stop.abort();
  killRunning();
  const cleanup = async () => {
    await writeStopped?.(`interrupted (${signal})`).catch(() => undefined);
    // ssh ControlPersist masters detach from the command's process group; their command lines name the logs dir.
    if (logsDir) await reapLeftovers(logsDir);
    await sweepNodes();
    await new Promise((r) => setTimeout(r, 2000));
    await sweepNodes();
    await removeNodeImages();
    await server?.closeAll();
  };
  // Removing 200 nodes takes minutes on a small machine: 60 s left 17 of them behind.
  const hardStop = setTimeout(() => process.exit(130), 600_000);
  void cleanup().finally(() => {
    clearTimeout(hardStop);
    process.exit(130);
  });
}

async function logsDirFor(startedAt: string): Promise<string> {
  const dir = join(tmpdir(), `capstan-bench-${startedAt.replace(/[:.]/g, '').slice(0, 15)}-${process.pid}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

interface Written { markdownPath: string; jsonPath: string }

/**
 * Runs every N in turn. The results files are reserved at the start and rewritten after
 * every N, marked incomplete until the end, so that a run that stops early (a node set that
 * does not boot, an interrupt, a harness error) leaves everything it measured.
 */
async function bench(options: BenchOptions, argv: string[]): Promise<{ report: BenchReport; written: Written }> {
  const { strategyDir } = await preflight(options);
  const startedAt = new Date().toISOString();
  const logs = await logsDirFor(startedAt);
  logsDir = logs;
  log(`logs of every command: ${logs}`);
  const [machine, versions] = await Promise.all([machineInfo(), toolVersions(repoRoot)]);
  const repoDir = await ensureLocalRepo({ workDir: join(logs, 'repo-node'), log });
  server = await RepoServer.open(repoDir);
  const repo = server;
  const packages = listPackages(await readPackages(repoDir));
  const session = new BenchSession({ options, repoRoot, logsDir: logs, log, signal: stop.signal, ...(strategyDir ? { strategyDir } : {}) }, repo);
  const endStateNote = !options.endState ? 'switched off (--no-end-state)'
    : !options.phases.includes('cold') ? 'the cold phase was not run'
    : options.tools.length < 2 ? 'only one tool ran' : undefined;
  const reportNow = (incomplete?: string): BenchReport => ({
    tiny: options.tiny, startedAt, finishedAt: new Date().toISOString(),
    command: ['bench/run.ts', ...argv].join(' '),
    options: { ...options, capstanPlaybook: relative(repoRoot, options.capstanPlaybook), outDir: relative(repoRoot, options.outDir) || '.' },
    machine, versions,
    repo: { dir: repoDir, packages, filesServed: repo.served },
    logsDir: logs, measurements: session.measurements, settles: session.settles,
    endState: session.endStateComparisons(), ...(endStateNote ? { endStateNote } : {}),
    problems: session.problems,
    ...(incomplete ? { incomplete } : {}),
  });
  const base = await resultsBase({ startedAt, tiny: options.tiny }, options.outDir);
  const write = (r: BenchReport) => writeResults(r, options.outDir, base);
  for (const [i, n] of options.nodes.entries()) {
    const stopped = (why: string) => write(reportNow(`stopped at N=${n}: ${why}`));
    writeStopped = stopped;
    try {
      if (options.phases.includes('cold')) await session.cold(n);
      await session.converged(n, options.phases);
    } catch (error) {
      const why = error instanceof Interrupted || stop.signal.aborted ? 'interrupted' : (error as Error).message;
      const written = await stopped(why);
      log(`what was measured before it stopped: ${written.markdownPath}`);
      throw error;
    }
    const left = options.nodes.slice(i + 1);
    if (left.length) log(`results so far: ${(await write(reportNow(`written after N=${n}; N=${left.join(', ')} still to run`))).markdownPath}`);
  }
  writeStopped = undefined;
  const report = reportNow();
  return { report, written: await write(report) };
}

async function main(argv: string[]): Promise<number> {
  let options: ReturnType<typeof parseBenchArgs>;
  try {
    options = parseBenchArgs(argv, repoRoot);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { report, written } = await bench(options, argv);
    if (options.tiny) process.stdout.write(renderMarkdown(report));
    log(`results: ${written.markdownPath} (raw data: ${written.jsonPath})`);
    log(verdict(report));
    return allGood(report) ? 0 : 1;
  } catch (error) {
    if (error instanceof Interrupted || stop.signal.aborted) return 130;
    log(`failed: ${(error as Error).message}`);
    return 2;
  } finally {
    await sweepNodes();
    await removeNodeImages();
    await server?.closeAll();
  }
}

process.exitCode = await main(process.argv.slice(2));
