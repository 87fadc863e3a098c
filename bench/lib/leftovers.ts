/**
 * Processes a measured command leaves behind on purpose, such as the OpenSSH master of a
 * ControlPersist connection: GNU time never waits for them, so their CPU time and memory are
 * read from /proc (found by a marker in their command line), added to the run, and they
 * are stopped.
 *
 *   const extra = await reapLeftovers('/tmp/capstan-bench-x/ansible-cp-7');
 *   extra.cpuS;       // 0.31: user + sys of the masters, added to the run's CPU time
 *   extra.maxRssKb;   // 7420
 *   parseProcStat('4242 (ssh) S 1 4242 4242 0 -1 4194560 820 0 0 0 21 10 0 0 20 0 1 0 9173 ...');
 *   // { utimeTicks: 21, stimeTicks: 10 }
 */
import { readdir, readFile } from 'node:fs/promises';
import { runHelper } from './proc.ts';

export interface Leftovers {
  pids: number[];
  cpuS: number;
  maxRssKb: number;
}

/** utime and stime (clock ticks) from /proc/PID/stat; the name field may hold spaces and parentheses. */
export function parseProcStat(text: string): { utimeTicks: number; stimeTicks: number } | undefined {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields after the name start at field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? { utimeTicks: utime, stimeTicks: stime } : undefined;
}

/** VmHWM (peak resident set, KiB) from /proc/PID/status. */
export function parseVmHwm(text: string): number {
  return Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(text)?.[1] ?? 0);
}

let ticksPerSecond: number | undefined;

async function clockTicks(): Promise<number> {
  if (ticksPerSecond === undefined) {
    const r = await runHelper(['getconf', 'CLK_TCK']);
    ticksPerSecond = Number(r.stdout.trim()) || 100;
  }
  return ticksPerSecond;
}

async function findByMarker(marker: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => p !== process.pid);
  const found: number[] = [];
  await Promise.all(pids.map(async (pid) => {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(marker)) found.push(pid);
  }));
  return found.sort((a, b) => a - b);
}

/** Reads the CPU time and peak memory of the processes whose command line holds `marker`, then ends them. */
export async function reapLeftovers(marker: string): Promise<Leftovers> {
  const pids = await findByMarker(marker);
  const hz = await clockTicks();
  let ticks = 0;
  let maxRssKb = 0;
  for (const pid of pids) {
    const stat = parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''));
    if (stat) ticks += stat.utimeTicks + stat.stimeTicks;
    maxRssKb = Math.max(maxRssKb, parseVmHwm(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')));
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  return { pids, cpuS: ticks / hz, maxRssKb };
}
