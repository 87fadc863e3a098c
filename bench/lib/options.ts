/**
 * The harness's command line, parsed into BenchOptions (pure: no file is read).
 *
 *   parseBenchArgs(['--nodes', '1,5', '--runs', '3', '--tools', 'capstan,ansible-mitogen'], '/work/main');
 *   parseBenchArgs(['--tiny'], '/work/main');   // N=2, one run, all phases, capstan + ansible-pipelining
 */
import { parseArgs } from 'node:util';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { PHASES, TOOLS, type BenchOptions, type Phase, type Tool } from './types.ts';

export const USAGE = `Usage: node --import tsx bench/run.ts [options]

  --nodes 1,5,20,50        node counts (N); each tool runs with forks N
  --runs 3                 timed runs per tool, phase and N (interleaved: A B A B)
  --phases cold,warm,check
  --tools capstan,ansible-pipelining,ansible-mitogen
  --ansible-max-nodes 20   skip Ansible above this N (Ansible at 50 is optional)
  --capstan-playbook bench/workload/site.ts
  --ansible-playbook ../shared/bench/ansible/site.yml   (relative to the repository)
  --ansible-config  DIR_OF_ANSIBLE_PLAYBOOK/ansible.cfg
  --out bench/results      where <YYYY-MM-DD>.md and .json are written
  --timeout 1800           seconds any one command may take
  --converge-forks 20      forks of the untimed converge of the warm/check nodes (at most N)
  --clone-from 50          warm/check node sets of at least this N boot from an image of one
                           node converged by the first tool, then every tool converges them
                           (untimed) as usual; 0: every set converges from scratch
  --no-end-state           do not compare the end states of cold runs
  --tiny                   CI: N=2, one run, all phases, capstan and ansible-pipelining,
                           warm/check nodes cloned (--clone-from 2);
                           exit 0 only when every command succeeded and the end states match
`;

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} wants a whole number of at least 1, not ${JSON.stringify(value)}`);
  return n;
}

function wholeNumber(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} wants a whole number (0 or more), not ${JSON.stringify(value)}`);
  return n;
}

function oneOf<T extends string>(values: string[], allowed: readonly T[], flag: string): T[] {
  const bad = values.filter((v) => !(allowed as readonly string[]).includes(v));
  if (bad.length) throw new Error(`${flag}: unknown ${bad.join(', ')} (choose from ${allowed.join(', ')})`);
  if (values.length === 0) throw new Error(`${flag} needs at least one value`);
  return [...new Set(values)] as T[];
}

/** The default results directory: the repository's bench/results, or a temp dir for --tiny. */
function outDirFor(tiny: boolean, repoRoot: string, given: string | undefined): string {
  if (given) return resolve(given);
  return tiny ? resolve(tmpdir(), 'capstan-bench-tiny') : resolve(repoRoot, 'bench/results');
}

/** Parses argv (without node and the script); throws an Error whose message is for the user. */
export function parseBenchArgs(argv: string[], repoRoot: string): BenchOptions & { help: boolean } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      nodes: { type: 'string' },
      runs: { type: 'string' },
      phases: { type: 'string' },
      tools: { type: 'string' },
      'ansible-max-nodes': { type: 'string' },
      'capstan-playbook': { type: 'string' },
      'ansible-playbook': { type: 'string' },
      'ansible-config': { type: 'string' },
      out: { type: 'string' },
      timeout: { type: 'string' },
      'converge-forks': { type: 'string' },
      'clone-from': { type: 'string' },
      'no-end-state': { type: 'boolean', default: false },
      tiny: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const tiny = values.tiny ?? false;
  const nodes = values.nodes ? list(values.nodes).map((v) => positiveInt(v, '--nodes')) : tiny ? [2] : [1, 5, 20, 50];
  const runs = values.runs ? positiveInt(values.runs, '--runs') : tiny ? 1 : 3;
  const phases = values.phases ? oneOf<Phase>(list(values.phases), PHASES, '--phases') : [...PHASES];
  const tools = values.tools ? oneOf<Tool>(list(values.tools), TOOLS, '--tools') : tiny ? ['capstan', 'ansible-pipelining'] as Tool[] : [...TOOLS];
  const ansiblePlaybook = resolve(repoRoot, values['ansible-playbook'] ?? '../shared/bench/ansible/site.yml');
  return {
    help: values.help ?? false,
    nodes: [...new Set(nodes)].sort((a, b) => a - b),
    runs,
    phases: PHASES.filter((p) => phases.includes(p)),
    tools: TOOLS.filter((t) => tools.includes(t)),
    ansibleMaxNodes: values['ansible-max-nodes'] ? positiveInt(values['ansible-max-nodes'], '--ansible-max-nodes') : 20,
    tiny,
    capstanPlaybook: resolve(repoRoot, values['capstan-playbook'] ?? 'bench/workload/site.ts'),
    ansiblePlaybook,
    ansibleConfig: resolve(repoRoot, values['ansible-config'] ?? resolve(dirname(ansiblePlaybook), 'ansible.cfg')),
    outDir: outDirFor(tiny, repoRoot, values.out),
    timeoutS: values.timeout ? positiveInt(values.timeout, '--timeout') : tiny ? 600 : 1800,
    endState: !(values['no-end-state'] ?? false),
    convergeForks: values['converge-forks'] ? positiveInt(values['converge-forks'], '--converge-forks') : 20,
    cloneFrom: values['clone-from'] !== undefined ? wholeNumber(values['clone-from'], '--clone-from') : tiny ? 2 : 50,
  };
}

/** True when the warm/check nodes at node count n boot from an image of one converged node. */
export function clonedAt(options: Pick<BenchOptions, 'cloneFrom'>, n: number): boolean {
  return options.cloneFrom > 0 && n >= options.cloneFrom;
}

/** The tools that run at node count n (Ansible stops at ansibleMaxNodes). */
export function toolsAt(options: Pick<BenchOptions, 'tools' | 'ansibleMaxNodes'>, n: number): Tool[] {
  return options.tools.filter((t) => t === 'capstan' || n <= options.ansibleMaxNodes);
}
