/**
 * Child processes of the harness, always bounded by a timeout: measured commands (wrapped in
 * GNU time, output to files, killed as a process group on timeout or SIGINT) and helpers.
 *
 *   const r = await runTimed({ argv: ['ansible-playbook', 'site.yml'], logBase: '/tmp/run/ansible-1', timeoutMs: 600_000 });
 *   r.wallS; r.cpuS; r.maxRssKb; r.exitCode; r.timedOut; r.stdoutPath
 *   const v = await runHelper(['git', 'rev-parse', 'HEAD'], { cwd: '/work/main' });   // { code: 0, stdout: '4cc0937...\n', stderr: '' }
 *   killRunning();   // on SIGINT: every measured command still running is killed
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { watchFds, type FdPeak } from './fd-watch.ts';
import { parseGnuTime, timeArgv } from './gnu-time.ts';
import type { TimedResult } from './types.ts';

export interface TimedCommand {
  argv: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs: number;
  /** Output goes to `${logBase}.out`, `${logBase}.err`, GNU time's report to `${logBase}.time`. */
  logBase: string;
}

export interface TimedRun extends TimedResult {
  stdoutPath: string;
  stderrPath: string;
  /** GNU time's report was missing or incomplete (the numbers are then the harness's own). */
  unparsed: boolean;
  /** The most descriptors (and sockets) the command's process tree held at once. */
  fds: FdPeak;
}

const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

/** Kills every measured command still running (their whole process groups). */
export function killRunning(): void {
  for (const child of running) killGroup(child, 'SIGKILL');
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

/** Runs argv under GNU time in its own process group, stdout and stderr to files. */
export async function runTimed(cmd: TimedCommand): Promise<TimedRun> {
  const stdoutPath = `${cmd.logBase}.out`;
  const stderrPath = `${cmd.logBase}.err`;
  const timePath = `${cmd.logBase}.time`;
  const [out, err] = await Promise.all([open(stdoutPath, 'w'), open(stderrPath, 'w')]);
  const [bin, ...args] = timeArgv(timePath, cmd.argv);
  const started = performance.now();
  let timedOut = false;
  let exitCode: number | null;
  let fds: FdPeak = { peakFds: Number.NaN, peakSockets: Number.NaN, fdLimit: Number.NaN };
  try {
    const child = spawn(bin ?? '', args, { cwd: cmd.cwd, env: cmd.env ?? process.env, detached: true, stdio: ['ignore', out.fd, err.fd] });
    running.add(child);
    const watch = child.pid === undefined ? undefined : watchFds(child.pid);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGTERM');
      setTimeout(() => killGroup(child, 'SIGKILL'), 5000).unref();
    }, cmd.timeoutMs);
    try {
      exitCode = await waitForExit(child);
    } finally {
      clearTimeout(timer);
      running.delete(child);
      if (watch) fds = watch.stop();
    }
  } finally {
    await Promise.all([out.close(), err.close()]);
  }
  const elapsedS = (performance.now() - started) / 1000;
  const report = parseGnuTime(await readFile(timePath, 'utf8').catch(() => ''));
  if (!report) return { wallS: elapsedS, cpuS: Number.NaN, maxRssKb: Number.NaN, exitCode: exitCode ?? -1, timedOut, stdoutPath, stderrPath, unparsed: true, fds };
  return {
    wallS: report.wallS,
    cpuS: report.userS + report.sysS,
    maxRssKb: report.maxRssKb,
    exitCode: report.signal !== undefined ? 128 + report.signal : report.exitCode,
    timedOut,
    stdoutPath,
    stderrPath,
    unparsed: false,
    fds,
  };
}

export interface HelperResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a short helper command to completion (default timeout 60 s); never throws on failure. */
export function runHelper(argv: string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<HelperResult> {
  const [bin, ...args] = argv;
  return new Promise((resolve) => {
    execFile(bin ?? '', args, { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr: stderr || (error && code === -1 ? error.message : '') });
      });
  });
}
