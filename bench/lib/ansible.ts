/**
 * Runs the reference workload with ansible-core from Debian, in one of two configurations,
 * both with forks = N: SSH pipelining, or the mitogen strategy (Debian's ansible-mitogen).
 *
 *   const strategyDir = await mitogenStrategyDir();   // from `dpkg -L ansible-mitogen`
 *   const r = await runAnsible({ tool: 'ansible-mitogen', n: 5, forks: 5, check: false, playbook, config, inventory, strategyDir, logBase, timeoutMs });
 *   r.timed.wallS; r.changed;
 *   parseAnsibleRecap('node1 : ok=22 changed=0 unreachable=0 failed=0 skipped=1 rescued=0 ignored=0');
 *   // { node1: { ok: 22, changed: 0, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 0 } }
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { reapLeftovers } from './leftovers.ts';
import { runHelper, runTimed } from './proc.ts';
import { tail, type ToolRun } from './tool-run.ts';
import type { Tool } from './types.ts';

export type AnsibleTool = Exclude<Tool, 'capstan'>;
export type AnsibleTally = Record<'ok' | 'changed' | 'unreachable' | 'failed' | 'skipped' | 'rescued' | 'ignored', number>;

/**
 * The strategy plugin directory of the installed mitogen: Debian ships the Ansible plugins in
 * `ansible-mitogen` (which depends on the library, `python3-mitogen`); both are searched.
 */
export async function mitogenStrategyDir(): Promise<string> {
  for (const pkg of ['ansible-mitogen', 'python3-mitogen']) {
    const r = await runHelper(['dpkg', '-L', pkg]);
    const dir = r.stdout.split('\n').find((l) => l.endsWith('/ansible_mitogen/plugins/strategy'));
    if (r.code === 0 && dir) return dir;
  }
  throw new Error('the mitogen strategy for Ansible is not installed (apt-get install ansible-mitogen python3-mitogen)');
}

export interface AnsibleEnvOptions {
  /** ANSIBLE_FORKS. */
  forks: number;
  config: string;
  /** A directory of its own for this run's ControlPersist sockets. */
  controlDir: string;
  strategyDir?: string;
}

/** The environment that selects a configuration; everything else comes from ansible.cfg. */
export function ansibleEnv(tool: AnsibleTool, o: AnsibleEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    ANSIBLE_CONFIG: o.config,
    ANSIBLE_FORKS: String(o.forks),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_SSH_CONTROL_PATH_DIR: o.controlDir,
  };
  if (tool === 'ansible-pipelining') env.ANSIBLE_PIPELINING = 'True';
  if (tool === 'ansible-mitogen') {
    if (!o.strategyDir) throw new Error('ansible-mitogen needs the mitogen strategy directory');
    env.ANSIBLE_STRATEGY = 'mitogen_linear';
    env.ANSIBLE_STRATEGY_PLUGINS = o.strategyDir;
  }
  return env;
}

/** The PLAY RECAP of ansible-playbook's default output, per host. */
export function parseAnsibleRecap(stdout: string): Record<string, AnsibleTally> {
  const at = stdout.lastIndexOf('PLAY RECAP');
  const hosts: Record<string, AnsibleTally> = {};
  for (const line of stdout.slice(at < 0 ? 0 : at).split('\n')) {
    const m = /^(\S+)\s+:\s+(ok=.*)$/.exec(line.trim());
    if (!m?.[1] || !m[2]) continue;
    const tally: AnsibleTally = { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
    for (const kv of m[2].trim().split(/\s+/)) {
      const [k, v] = kv.split('=');
      if (k && k in tally) tally[k as keyof AnsibleTally] = Number(v);
    }
    hosts[m[1]] = tally;
  }
  return hosts;
}

/** The lines that say what failed (fatal:, ERROR!, UNREACHABLE), for the results. */
export function ansibleFailureLines(stdout: string, stderr: string): string {
  const lines = `${stdout}\n${stderr}`.split('\n').filter((l) => /^(fatal:|ERROR!|.*UNREACHABLE!|\[ERROR\])/.test(l.trim()));
  return (lines.length ? lines.slice(0, 5).join('\n') : tail(`${stdout}\n${stderr}`, 8)).slice(0, 2000);
}

export interface AnsibleRunOptions {
  tool: AnsibleTool;
  n: number;
  /** Forks: N for every timed run. */
  forks: number;
  check: boolean;
  playbook: string;
  config: string;
  inventory: string;
  strategyDir?: string;
  /** Files of this run are `${logBase}.out|.err|.time`; sockets go to `${logBase}.cp/`. */
  logBase: string;
  timeoutMs: number;
}

function summarise(hosts: Record<string, AnsibleTally>, n: number): { changed: number; problem?: string } {
  const tallies = Object.values(hosts);
  const changed = tallies.reduce((s, t) => s + t.changed, 0);
  const failed = tallies.reduce((s, t) => s + t.failed + t.unreachable, 0);
  if (tallies.length !== n) return { changed, problem: `the recap lists ${tallies.length} hosts, not ${n}` };
  return failed ? { changed, problem: `${failed} failed or unreachable host-tasks` } : { changed };
}

export async function runAnsible(o: AnsibleRunOptions): Promise<ToolRun> {
  const controlDir = `${o.logBase}.cp`;
  await mkdir(controlDir, { recursive: true, mode: 0o700 });
  const env = { ...process.env, ...ansibleEnv(o.tool, { forks: o.forks, config: o.config, controlDir, ...(o.strategyDir ? { strategyDir: o.strategyDir } : {}) }) };
  const argv = ['ansible-playbook', '-i', o.inventory, o.playbook, ...(o.check ? ['--check'] : [])];
  const timed = await runTimed({ argv, env, cwd: dirname(o.playbook), timeoutMs: o.timeoutMs, logBase: o.logBase });
  const masters = await reapLeftovers(controlDir);
  await rm(controlDir, { recursive: true, force: true });
  timed.cpuS += masters.cpuS;
  timed.maxRssKb = Math.max(timed.maxRssKb, masters.maxRssKb);
  const [stdout, stderr] = await Promise.all([readFile(timed.stdoutPath, 'utf8'), readFile(timed.stderrPath, 'utf8')]);
  const { changed, problem } = summarise(parseAnsibleRecap(stdout), o.n);
  const failed = timed.exitCode !== 0 || timed.timedOut || problem !== undefined;
  return { timed, changed, ...(failed ? { error: [problem, ansibleFailureLines(stdout, stderr)].filter(Boolean).join('; ') } : {}) };
}
