/**
 * The vocabulary of the benchmark: tools, phases, and one measured command.
 *
 *   const m: Measurement = { n: 5, phase: 'warm', subject: 'capstan', run: 1, wallS: 1.9, cpuS: 1.2, maxRssKb: 120_000, exitCode: 0, timedOut: false, nodeCpuPerHostS: 0.21 };
 *   TOOLS.includes('ansible-mitogen');   // true
 */

/** Capstan, and Ansible in the two configurations the benchmark compares it with. */
export const TOOLS = ['capstan', 'ansible-pipelining', 'ansible-mitogen'] as const;
export type Tool = (typeof TOOLS)[number];

/** cold: fresh nodes; warm: converged nodes, nothing to change; check: converged nodes, --check. */
export const PHASES = ['cold', 'warm', 'check'] as const;
export type Phase = (typeof PHASES)[number];

/** What a measured command was: one of the tools, or the OpenSSH floor probe. */
export type Subject = Tool | 'floor';

/** What GNU time and the process itself report about one command. */
export interface TimedResult {
  wallS: number;
  /** user + sys of the whole waited-for process tree, plus helpers that outlived it (ssh masters). */
  cpuS: number;
  /** The largest resident set of any single process of the tree, in KiB. */
  maxRssKb: number;
  exitCode: number;
  timedOut: boolean;
}

/** One timed command of the benchmark. */
export interface Measurement extends TimedResult {
  n: number;
  phase: Phase;
  subject: Subject;
  /** 1-based run index within its phase. */
  run: number;
  /** Changes reported by the tool over all hosts (for --check: changes it would make). */
  changed?: number;
  /** CPU seconds the nodes' containers spent during the command, divided by N (see node-cpu.ts). */
  nodeCpuPerHostS?: number;
  /** The most open descriptors of the controller's process tree at once, the sockets among them, and its open-file limit. */
  peakFds?: number;
  peakSockets?: number;
  fdLimit?: number;
  /** Capstan only: SSH round trips per host, averaged over the hosts. */
  roundTripsPerHost?: number;
  /** Why the command counts as failed, when it does. */
  error?: string;
}

/** The harness's settings, after parsing and defaults. */
export interface BenchOptions {
  nodes: number[];
  runs: number;
  phases: Phase[];
  tools: Tool[];
  /** Ansible is skipped for node counts above this. */
  ansibleMaxNodes: number;
  tiny: boolean;
  capstanPlaybook: string;
  ansiblePlaybook: string;
  ansibleConfig: string;
  /** Directory the results (.md and .json) are written to. */
  outDir: string;
  /** Upper bound for any one measured command, in seconds. */
  timeoutS: number;
  /** Also compare the end states of cold runs (on unless --no-end-state). */
  endState: boolean;
  /**
   * Forks of the untimed converge of the shared warm/check nodes (at most N). A hundred
   * first converges at once on a small machine starve every node and the controller alike.
   */
  convergeForks: number;
  /**
   * Warm/check node sets of at least this N (0: none) boot from an image of one node the
   * first tool converged (see seed-image.ts): 200 first converges take most of an hour here.
   */
  cloneFrom: number;
}
