/**
 * Runs Capstan's workload with `capstan run PLAYBOOK -i INV --forks N [--check] --json`
 * and reads its recap: changes, failures, and SSH round trips per host.
 *
 *   const r = await runCapstan({ n: 5, forks: 5, check: false, playbook, inventory, repoRoot, logBase, timeoutMs });
 *   r.timed.wallS; r.changed; r.roundTripsPerHost;
 *   parseCapstanEvents(ndjson).recap?.transport.node1?.roundTrips;   // 2
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTimed } from './proc.ts';
import { tail, type ToolRun } from './tool-run.ts';

export interface CapstanRecap {
  hosts: Record<string, { ok: number; changed: number; failed: number; skipped: number; unreachable: number; ignored: number }>;
  exitCode: number;
  transport: Record<string, { roundTrips: number; connections: number }>;
}

export interface CapstanEvents {
  recap?: CapstanRecap;
  /** 'host: step: message' for every failed or unreachable host step. */
  failures: string[];
}

interface RawEvent {
  type?: string;
  recap?: CapstanRecap;
  host?: string;
  step?: string;
  message?: string;
  result?: { status?: string; msg?: string; stderr?: string };
}

/** The run.end recap and the failures of a `--json` event stream (lines that are not JSON are skipped). */
export function parseCapstanEvents(ndjson: string): CapstanEvents {
  const out: CapstanEvents = { failures: [] };
  for (const line of ndjson.split('\n')) {
    if (!line.startsWith('{')) continue;
    let e: RawEvent;
    try {
      e = JSON.parse(line) as RawEvent;
    } catch {
      continue;
    }
    if (e.type === 'run.end' && e.recap) out.recap = e.recap;
    if (e.type === 'host.unreachable') out.failures.push(`${e.host ?? '?'}: unreachable: ${e.message ?? ''}`);
    if (e.type === 'host.step' && (e.result?.status === 'failed' || e.result?.status === 'unreachable')) {
      out.failures.push(`${e.host ?? '?'}: ${e.step ?? '?'}: ${(e.result.msg || e.result.stderr || e.result.status).trim().split('\n')[0] ?? ''}`);
    }
  }
  return out;
}

/** Total changes and mean round trips per host of a recap. */
export function recapNumbers(recap: CapstanRecap): { changed: number; roundTripsPerHost: number; hosts: number } {
  const hosts = Object.values(recap.hosts);
  const trips = Object.values(recap.transport).map((t) => t.roundTrips);
  return {
    changed: hosts.reduce((s, h) => s + h.changed, 0),
    roundTripsPerHost: trips.length ? trips.reduce((a, b) => a + b, 0) / trips.length : Number.NaN,
    hosts: hosts.length,
  };
}

export interface CapstanRunOptions {
  n: number;
  /** --forks: N for every timed run. */
  forks: number;
  check: boolean;
  playbook: string;
  inventory: string;
  repoRoot: string;
  logBase: string;
  timeoutMs: number;
}

export async function runCapstan(o: CapstanRunOptions): Promise<ToolRun> {
  const argv = [process.execPath, join(o.repoRoot, 'bin/capstan.js'), 'run', o.playbook, '-i', o.inventory, '--forks', String(o.forks), '--json', ...(o.check ? ['--check'] : [])];
  const timed = await runTimed({ argv, cwd: o.repoRoot, timeoutMs: o.timeoutMs, logBase: o.logBase });
  const [stdout, stderr] = await Promise.all([readFile(timed.stdoutPath, 'utf8'), readFile(timed.stderrPath, 'utf8')]);
  const events = parseCapstanEvents(stdout);
  if (!events.recap) return { timed, error: `no run.end event: ${tail(stderr || stdout, 8).slice(0, 2000)}` };
  const { changed, roundTripsPerHost, hosts } = recapNumbers(events.recap);
  const problems = [
    ...(hosts !== o.n ? [`the recap lists ${hosts} hosts, not ${o.n}`] : []),
    ...events.failures.slice(0, 5),
  ];
  const failed = problems.length > 0 || timed.exitCode !== 0 || timed.timedOut;
  return { timed, changed, roundTripsPerHost, ...(failed ? { error: (problems.join('; ') || tail(stderr, 8)).slice(0, 2000) } : {}) };
}
